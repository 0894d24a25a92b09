"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import Settings
from storage import Database

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


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """One local Ray instance for every test that needs actors or tasks."""
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=128 * 1024 * 1024,
        namespace="enhanced-pmr-tests",
        log_to_driver=False,
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on a fresh SQLite file, migrated, shared by the tests of one session."""
    data_dir = tmp_path_factory.mktemp("pmr-data")
    settings = Settings(
        data_dir=data_dir,
        jwt_secret="test-secret-" + "x" * 40,
        ray_namespace="enhanced-pmr-tests",
        monte_carlo_iterations=2000,
    )
    database = Database(settings.sqlalchemy_url)
    database.migrate()
    database.dispose()
    return settings
