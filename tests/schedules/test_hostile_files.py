"""Hostile schedule files that ``import_schedule`` accepts or rejects with the wrong error.

Each test states the behaviour the importer should have. A test marked ``xfail(strict=True)``
pins a defect that is still open. When the defect is fixed, the test passes, pytest reports
the strict xfail as a failure, and the mark must be removed.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields, is_dataclass
from typing import Any

import pytest

from schedules import ImportResult, ScheduleImportError, import_schedule, sample_project_bytes

MAX_BYTES = 50_000_000
MSPDI_NAMESPACE = "http://schemas.microsoft.com/project"


def xer_file(
    *, cost: str = "1000", lag: str = "0", task_ids: tuple[str, str] = ("1", "2")
) -> bytes:
    """Return a two-activity XER export with one resource assignment and one relationship."""
    first, second = task_ids
    lines = [
        "ERMHDR\t8.1\t2024-10-01\tProject\tadmin\tx\tdb\tGBP",
        "%T\tPROJECT",
        "%F\tproj_id\tproj_short_name\tlast_recalc_date\tplan_start_date",
        "%R\t10\tBRIDGE\t2024-10-01 00:00\t2024-10-07 08:00",
        "%T\tTASK",
        "%F\ttask_id\tproj_id\ttask_code\ttask_name\ttask_type\tstatus_code"
        "\ttarget_drtn_hr_cnt\tremain_drtn_hr_cnt\ttarget_start_date\ttarget_end_date",
        f"%R\t{first}\t10\tA100\tSurvey\tTT_Task\tTK_NotStart\t40\t40"
        "\t2024-10-07 08:00\t2024-10-11 16:00",
        f"%R\t{second}\t10\tA110\tDesign\tTT_Task\tTK_NotStart\t40\t40"
        "\t2024-10-14 08:00\t2024-10-18 16:00",
        "%T\tTASKPRED",
        "%F\ttask_id\tpred_task_id\tproj_id\tpred_type\tlag_hr_cnt",
        f"%R\t{second}\t{first}\t10\tPR_FS\t{lag}",
        "%T\tTASKRSRC",
        "%F\ttaskrsrc_id\ttask_id\tproj_id\ttarget_cost\tremain_cost",
        f"%R\t1\t{first}\t10\t{cost}\t{cost}",
        "%E",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def mspdi_file(*, task_extra: str = "", header_extra: str = "", encoding: str = "UTF-8") -> bytes:
    """Return a one-task Microsoft Project XML file with ``task_extra`` inside the task."""
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        f'<Project xmlns="{MSPDI_NAMESPACE}"><Name>P</Name>'
        f"<StatusDate>2024-10-15T08:00:00</StatusDate><CurrencyCode>GBP</CurrencyCode>"
        f"{header_extra}<Tasks><Task><UID>1</UID><ID>1</ID><Name>T1</Name>"
        "<Start>2024-10-07T08:00:00</Start><Finish>2024-10-11T17:00:00</Finish>"
        f"<Duration>PT40H0M0S</Duration><Cost>100000</Cost>{task_extra}</Task></Tasks></Project>"
    ).encode()


def sample_with(old: str, new: str) -> bytes:
    """Return the bundled sample project with the first ``old`` in its text replaced."""
    text = sample_project_bytes().decode("utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


def tiny_project(**extra: Any) -> bytes:
    """Return a JSON project with two costed activities A and B and the given extra sections."""
    document = {
        "format": "enhanced-pmr-project",
        "version": 1,
        "project": {
            "id": "T",
            "name": "Tiny",
            "currency": "GBP",
            "data_date": "2025-01-15T17:00:00",
        },
        "activities": [
            {"code": code, "name": code, "original_duration": 5, "budgeted_cost": 1000}
            for code in ("A", "B")
        ],
        **extra,
    }
    return json.dumps(document).encode()


def import_or_error(data: bytes, filename: str) -> ImportResult | ScheduleImportError:
    """Return the import result, or the import error that the file raised."""
    try:
        return import_schedule(data, filename, max_bytes=MAX_BYTES)
    except ScheduleImportError as error:
        return error


def non_finite_numbers(value: object, path: str = "project") -> list[str]:
    """Return the paths of every NaN or infinite float inside a model record."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, tuple):
        return [
            found
            for index, item in enumerate(value)
            for found in non_finite_numbers(item, f"{path}[{index}]")
        ]
    if is_dataclass(value) and not isinstance(value, type):
        return [
            found
            for item in fields(value)
            for found in non_finite_numbers(getattr(value, item.name), f"{path}.{item.name}")
        ]
    return []


NON_FINITE_FILES = [
    pytest.param(xer_file(cost="nan"), "p.xer", id="xer-cost-nan"),
    pytest.param(xer_file(cost="inf"), "p.xer", id="xer-cost-inf"),
    pytest.param(xer_file(cost="1e400"), "p.xer", id="xer-cost-overflows"),
    pytest.param(xer_file(lag="nan"), "p.xer", id="xer-lag-nan"),
    pytest.param(
        mspdi_file(task_extra="<ActualCost>NaN</ActualCost>"), "p.xml", id="xml-cost-nan"
    ),
    pytest.param(
        mspdi_file(
            task_extra="<PercentComplete>nan</PercentComplete>"
            "<ActualStart>2024-10-07T08:00:00</ActualStart>"
        ),
        "p.xml",
        id="xml-percent-nan",
    ),
    pytest.param(
        mspdi_file(header_extra="<MinutesPerDay>nan</MinutesPerDay>"), "p.xml", id="xml-day-nan"
    ),
    pytest.param(
        sample_with('"budgeted_cost": 52000.0', '"budgeted_cost": NaN'), "p.json", id="json-nan"
    ),
    pytest.param(
        sample_with('"actual_cost": 55120.0', '"actual_cost": Infinity'),
        "p.json",
        id="json-infinity",
    ),
    pytest.param(
        sample_with('"budgeted_cost": 52000.0', '"budgeted_cost": 1e400'),
        "p.json",
        id="json-overflow",
    ),
]


@pytest.mark.xfail(
    strict=True, reason="import_schedule passes NaN and infinity from the file into the model"
)
@pytest.mark.parametrize(("data", "filename"), NON_FINITE_FILES)
def test_import_non_finite_numbers_never_reach_model(data: bytes, filename: str) -> None:
    outcome = import_or_error(data, filename)

    if isinstance(outcome, ScheduleImportError):
        assert outcome.detail
    else:
        assert non_finite_numbers(outcome.project) == []


@pytest.mark.xfail(strict=True, reason="OverflowError and LookupError escape import_schedule")
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            mspdi_file(task_extra="<ConstraintType>inf</ConstraintType>"),
            id="xml-constraint-type-inf",
        ),
        pytest.param(mspdi_file(encoding="x-klingon"), id="xml-unknown-encoding"),
    ],
)
def test_import_damaged_xml_raises_import_error(data: bytes) -> None:
    with pytest.raises(ScheduleImportError) as caught:
        import_schedule(data, "p.xml", max_bytes=MAX_BYTES)

    assert caught.value.code == "invalid_xml"


@pytest.mark.xfail(strict=True, reason="duplicate XER task ids reach storage, which rejects them")
@pytest.mark.parametrize(
    "task_ids", [pytest.param(("1", "1"), id="same-id"), pytest.param(("", ""), id="empty-ids")]
)
def test_import_duplicate_xer_task_ids(task_ids: tuple[str, str]) -> None:
    outcome = import_or_error(xer_file(task_ids=task_ids), "p.xer")

    if isinstance(outcome, ScheduleImportError):
        assert outcome.detail
    else:
        ids = [activity.id for activity in outcome.project.activities]
        assert len(ids) == len(set(ids))


@pytest.mark.xfail(strict=True, reason="a logic cycle imports without error or warning")
def test_import_cycle_is_reported() -> None:
    links = [{"predecessor": "A", "successor": "B"}, {"predecessor": "B", "successor": "A"}]
    data = tiny_project(relationships=links)

    outcome = import_or_error(data, "p.json")

    if isinstance(outcome, ScheduleImportError):
        assert "cycle" in outcome.detail
    else:
        assert any("cycle" in warning.message for warning in outcome.warnings)


@pytest.mark.xfail(strict=True, reason="UTF-16 text without '<' is taken for XML")
def test_import_utf16_xer_not_called_xml() -> None:
    data = xer_file().decode("cp1252").encode("utf-16")

    outcome = import_or_error(data, "p.xer")

    if isinstance(outcome, ScheduleImportError):
        assert outcome.code != "invalid_xml"
        assert "XML" not in outcome.detail
    else:
        assert len(outcome.project.activities) == 2
