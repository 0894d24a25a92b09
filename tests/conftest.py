"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder with the real schedules and benchmark networks used by data-driven tests.

    ``PMR_TEST_DATA`` overrides the location; by default it sits beside the checkout.
    """
    folder = Path(os.environ.get("PMR_TEST_DATA", _REPOSITORY.parent / "shared" / "data"))
    if not folder.is_dir():
        pytest.skip(f"real test data not found at {folder}; set PMR_TEST_DATA to its folder")
    return folder
