"""Excel sheet names: allowed characters, at most 31 of them, never cut mid-word."""

from __future__ import annotations

import pytest

from exports.excel import sheet_name


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Risks", "Risks"),
        ("Earned value by month (cumulative)", "Earned value by month"),
        ("Schedule: analysis / forecast", "Schedule analysis forecast"),
        ("A" * 40, "A" * 31),
        ("[]", "Sheet"),
    ],
    ids=["short", "long-title-ends-at-a-word", "forbidden-characters", "one-long-word", "empty"],
)
def test_sheet_name(title: str, name: str) -> None:
    assert sheet_name(title) == name
