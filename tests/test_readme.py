"""The README documents what an operator can set."""

from __future__ import annotations

import re
from pathlib import Path

from config import Settings
from schedules import import_schedule

REPOSITORY = Path(__file__).resolve().parent.parent
README = REPOSITORY / "README.md"


def test_every_setting_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    variables = [f"PMR_{name.upper()}" for name in Settings.model_fields]

    missing = [variable for variable in variables if f"`{variable}`" not in text]

    assert variables, "Settings declares no fields"
    assert missing == []


def test_rest_example_runs_as_written() -> None:
    # A reader copies the import and generate commands of the REST example, so the file
    # they upload must exist in the checkout and the month must be one the server accepts.
    text = README.read_text(encoding="utf-8")
    uploads = re.findall(r"-F file=@(\S+)", text)
    months = re.findall(r'"<project_id>", "report_month": "(\d{4}-\d{2})"', text)

    assert len(uploads) == 1, uploads
    assert len(months) == 1, months
    schedule = REPOSITORY / uploads[0]
    assert schedule.is_file(), f"{uploads[0]} is not a file of the repository"
    data_date = import_schedule(
        schedule.read_bytes(), schedule.name, max_bytes=Settings().max_upload_bytes
    ).project.data_date
    this_month = f"{data_date.year:04d}-{data_date.month:02d}"
    month_before = (
        f"{data_date.year - 1:04d}-12"
        if data_date.month == 1
        else f"{data_date.year:04d}-{data_date.month - 1:02d}"
    )
    assert months[0] in (this_month, month_before), (months[0], data_date)
