"""The README documents what an operator can set."""

from __future__ import annotations

import re
from pathlib import Path

from config import Settings
from deployments.app import create_app
from deployments.services import Services
from schedules import import_schedule

REPOSITORY = Path(__file__).resolve().parent.parent
README = REPOSITORY / "README.md"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


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


def readme_endpoints(text: str) -> set[tuple[str, str]]:
    """Return the (method, path) pairs that the README's endpoint table names.

    The first cell may list bare methods before a path (`POST`, `GET /api/x`) and paths
    that start with an ellipsis standing for the previous path's leading part
    (`GET /api/a/b`, `GET …/b/{id}`). Other cells count only with whole paths.
    Parameter names are replaced by ``{}``, so that ``{id}`` matches ``{comment_id}``.
    """
    endpoints: set[tuple[str, str]] = set()
    for row in text.splitlines():
        cells = row.split(" | ")
        if not row.startswith("| `") or "/api/" not in cells[0]:
            continue
        pending: list[str] = []
        previous = ""
        for segment in re.findall(r"`([^`]+)`", cells[0]):
            if segment in HTTP_METHODS:
                pending.append(segment)
                continue
            method, _, path = segment.partition(" ")
            if method not in HTTP_METHODS:
                continue
            if path.startswith("…"):
                first = "/" + path[1:].split("/")[1]
                path = previous[: previous.rindex(first)] + path[1:]
            if not path.startswith("/api/"):
                continue
            for listed_method in (*pending, method):
                endpoints.add((listed_method, re.sub(r"\{[^}]*\}", "{}", path)))
            pending = []
            previous = path
        for cell in cells[1:]:
            for method, path in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/api/[^`\s]*)`", cell):
                endpoints.add((method, re.sub(r"\{[^}]*\}", "{}", path)))
    return endpoints


def test_readme_endpoints_exist_in_openapi(tmp_path: Path) -> None:
    services = Services.create(Settings(data_dir=tmp_path))
    try:
        paths = create_app(services).openapi()["paths"]
    finally:
        services.close()
    served = {
        (method.upper(), re.sub(r"\{[^}]*\}", "{}", path))
        for path, operations in paths.items()
        for method in operations
    }

    documented = readme_endpoints(README.read_text(encoding="utf-8"))

    assert len(documented) >= 20, sorted(documented)
    assert sorted(documented - served) == []
