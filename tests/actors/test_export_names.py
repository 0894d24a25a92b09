"""Download names of exported files."""

from __future__ import annotations

import pytest

from actors.export_job import file_name


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        pytest.param(
            "Plant upgrade monthly report", "Plant-upgrade-monthly-report-2025-07.pdf", id="plain"
        ),
        pytest.param("Monthly report 2025-07", "Monthly-report-2025-07.pdf", id="month-in-title"),
        pytest.param("Ünïcode / rapport", "n-code-rapport-2025-07.pdf", id="ascii-only"),
        pytest.param("///", "report-2025-07.pdf", id="nothing-left"),
    ],
)
def test_file_name_of_title(title: str, expected: str) -> None:
    assert file_name(title, "2025-07", "pdf") == expected
