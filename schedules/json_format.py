"""Reader for the documented JSON project format (docs/project-format.md).

Activities are referenced by code everywhere in the file and become the activity ids in the
model. Durations, lags, float and duration estimates are in the unit the project header names:
working days (the default), converted with the hours per day of the calendar that applies,
or hours.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from schedules.errors import InvalidProjectError, MalformedScheduleError
from schedules.json_builder import STANDARD_CALENDAR_ID, Problems, ProjectBuilder, summarise
from schedules.json_export import project_to_json
from schedules.json_schema import ProjectDocument
from schedules.model import ImportWarning, Project

__all__ = ["json_path", "load_project_json", "project_to_json"]

# Integers longer than this are rejected before validation; money is at most 16 digits.
MAX_INTEGER_DIGITS = 30


def load_project_json(data: bytes) -> tuple[Project, list[ImportWarning]]:
    """Read a JSON project file into the model.

    Raises:
        MalformedScheduleError: ``invalid_json`` when the bytes are not JSON.
        InvalidProjectError: when a field or a reference is invalid; the detail names the
            JSON path of each problem, for example ``$.activities[3].original_duration``.
    """
    document = _validate(_parse(data))
    problems = Problems()
    _check_references(document, problems)
    problems.raise_if_any()
    project = ProjectBuilder(document, problems).build()
    problems.raise_if_any()
    return project, []


class _LongNumber(str):
    """An integer literal too long for any field, kept as text so its path can be reported."""


def _long_numbers(value: Any, location: tuple[int | str, ...] = ()) -> Iterable[str]:
    """Yield the JSON path and length of every over-long integer literal in a parsed value."""
    if isinstance(value, _LongNumber):
        digits = len(value.lstrip("-"))
        yield f"{json_path(location)}: the number has {digits:,} digits, too long for any field"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _long_numbers(item, (*location, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _long_numbers(item, (*location, index))


def _parse(data: bytes) -> Any:
    long_numbers: list[_LongNumber] = []

    def integer(text: str) -> int | _LongNumber:
        # Python refuses to convert integers of more than 4,300 digits, with advice meant
        # for programmers. No field of the format needs more than MAX_INTEGER_DIGITS.
        if len(text.lstrip("-")) <= MAX_INTEGER_DIGITS:
            return int(text)
        long_numbers.append(_LongNumber(text))
        return long_numbers[-1]

    try:
        value = json.loads(data.removeprefix(b"\xef\xbb\xbf").decode("utf-8"), parse_int=integer)
    except UnicodeDecodeError as error:
        raise MalformedScheduleError(
            "invalid_json",
            f"the JSON file is not UTF-8 text ({error.reason} at byte "
            f"{error.start}); save it as UTF-8",
        ) from error
    except json.JSONDecodeError as error:
        raise MalformedScheduleError(
            "invalid_json",
            f"the file is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
        ) from error
    except RecursionError as error:
        raise MalformedScheduleError(
            "invalid_json", "the JSON file is nested too deeply to read"
        ) from error
    if long_numbers:
        raise InvalidProjectError(summarise(list(_long_numbers(value))))
    return value


def _validate(value: Any) -> ProjectDocument:
    if not isinstance(value, dict):
        raise InvalidProjectError(
            f"$: the file must contain a JSON object, not {type(value).__name__}"
        )
    try:
        return ProjectDocument.model_validate(value)
    except ValidationError as error:
        problems = [
            f"{json_path(item['loc'])}: {item['msg'].removeprefix('Value error, ')}"
            + _input_note(item.get("input"))
            for item in error.errors(include_url=False)
        ]
        raise InvalidProjectError(summarise(problems)) from None


def json_path(location: Iterable[int | str]) -> str:
    """Format a pydantic error location as a JSON path such as ``$.activities[3].name``."""
    path = "$"
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _input_note(value: Any) -> str:
    if isinstance(value, dict | list) or value is None:
        return ""
    text = repr(value)
    return f" (got {text[:60]}{'...' if len(text) > 60 else ''})"


def _check_unique(paths: Iterable[tuple[str, str]], what: str, problems: Problems) -> set[str]:
    seen: dict[str, str] = {}
    for path, key in paths:
        if key in seen:
            problems.add(path, f"duplicate {what} {key!r} (first at {seen[key]})")
        else:
            seen[key] = path
    return set(seen)


def _check_references(document: ProjectDocument, problems: Problems) -> None:
    calendars = _check_unique(
        ((f"$.calendars[{i}].id", c.id) for i, c in enumerate(document.calendars)),
        "calendar id",
        problems,
    ) or {STANDARD_CALENDAR_ID}
    wbs = _check_unique(
        ((f"$.wbs[{i}].id", w.id) for i, w in enumerate(document.wbs)), "WBS id", problems
    )
    resources = _check_unique(
        ((f"$.resources[{i}].id", r.id) for i, r in enumerate(document.resources)),
        "resource id",
        problems,
    )
    codes = _check_unique(
        ((f"$.activities[{i}].code", a.code) for i, a in enumerate(document.activities)),
        "activity code",
        problems,
    )
    _check_unique(
        ((f"$.risks[{i}].id", r.id) for i, r in enumerate(document.risks)), "risk id", problems
    )
    _check_unique(
        (
            (f"$.monthly_actuals[{i}].month", m.month)
            for i, m in enumerate(document.monthly_actuals)
        ),
        "month",
        problems,
    )

    def expect(path: str, value: str | None, known: set[str], kind: str) -> None:
        if value is not None and value not in known:
            problems.add(path, f"{kind} {value!r} not found")

    expect("$.project.default_calendar", document.project.default_calendar, calendars, "calendar")
    for i, node in enumerate(document.wbs):
        expect(f"$.wbs[{i}].parent", node.parent, wbs, "WBS id")
    for i, resource in enumerate(document.resources):
        expect(f"$.resources[{i}].calendar", resource.calendar, calendars, "calendar")
    for i, activity in enumerate(document.activities):
        expect(f"$.activities[{i}].wbs", activity.wbs, wbs, "WBS id")
        expect(f"$.activities[{i}].calendar", activity.calendar, calendars, "calendar")
    for i, link in enumerate(document.relationships):
        expect(f"$.relationships[{i}].predecessor", link.predecessor, codes, "activity code")
        expect(f"$.relationships[{i}].successor", link.successor, codes, "activity code")
        if link.predecessor == link.successor:
            problems.add(f"$.relationships[{i}]", "an activity cannot precede itself")
    for i, assignment in enumerate(document.assignments):
        expect(f"$.assignments[{i}].activity", assignment.activity, codes, "activity code")
        expect(f"$.assignments[{i}].resource", assignment.resource, resources, "resource id")
    for i, risk in enumerate(document.risks):
        for j, code in enumerate(risk.affected_activities):
            expect(f"$.risks[{i}].affected_activities[{j}]", code, codes, "activity code")
