from __future__ import annotations

import pickle
import random
from datetime import datetime
from pathlib import Path

import pytest

from schedules import (
    ImportResult,
    InvalidProjectError,
    MalformedScheduleError,
    ScheduleImportError,
    UnsupportedFormatError,
    import_schedule,
    sample_project_bytes,
)

MAX_BYTES = 50_000_000
SMALL_XER = (
    b"ERMHDR\t8.1\t2025-01-01\tProject\tadmin\tx\tdb\tProject Management\tEUR\r\n"
    b"%T\tPROJECT\r\n%F\tproj_id\tproj_short_name\tlast_recalc_date\r\n"
    b"%R\t1\tP\t2025-01-06 08:00\r\n"
    b"%T\tTASK\r\n%F\ttask_id\tproj_id\ttask_code\ttask_name\ttask_type\tstatus_code\r\n"
    b"%R\t10\t1\tA100\tSurvey\tTT_Task\tTK_NotStart\r\n%E\r\n"
)
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol3;</Name></Project>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&secret;</Name></Project>"""


@pytest.fixture(scope="module")
def real_xer(shared_data: Path) -> bytes:
    return (shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes()


@pytest.fixture(scope="module")
def real_result(real_xer: bytes) -> ImportResult:
    return import_schedule(real_xer, "SP10 - COST LOADED.xer", max_bytes=MAX_BYTES)


def test_import_real_xer_warnings(real_result: ImportResult) -> None:
    codes = [warning.code for warning in real_result.warnings]

    assert codes == [
        "date_out_of_range",
        "duration_inconsistent",
        "project_dates_derived",
        "dcma_logic",
        "dcma_leads",
        "dcma_hard_constraints",
        "dcma_high_float",
        "dcma_negative_float",
        "dcma_high_duration",
        "dcma_resources",
        "dcma_missed_tasks",
        "dcma_bei",
    ]


def test_import_real_xer_repairs(real_result: ImportResult) -> None:
    project = real_result.project
    dates = next(w for w in real_result.warnings if w.code == "date_out_of_range")

    assert len(project.activities) == 3994
    assert len(project.relationships) == 5966
    assert project.planned_finish == datetime(2023, 1, 13, 17)
    assert all(
        a.planned_finish is None or a.planned_finish.year < 2100 for a in project.activities
    )
    assert len(dates.activity_codes) == 19
    assert "4637-11-24 17:00" in dates.message
    assert round(project.budget_at_completion, 2) == 215_918_496.41


def test_import_real_xer_dcma_counts(real_result: ImportResult) -> None:
    by_code = {warning.code: warning for warning in real_result.warnings}

    assert "3,994" not in by_code["dcma_logic"].message
    # 3,994 activities less 523 completed and 3 level-of-effort leave 3,468 to assess.
    assert "of 3,468" in by_code["dcma_logic"].message
    assert "no separate baseline" in by_code["dcma_bei"].message
    assert len(by_code["dcma_logic"].activity_codes) == 20
    assert "dcma_lags" not in by_code
    assert "dcma_invalid_dates" not in by_code


def test_import_real_xer_project_id(real_xer: bytes) -> None:
    with pytest.raises(InvalidProjectError) as caught:
        import_schedule(real_xer, max_bytes=MAX_BYTES, project_id="no-such-project")

    assert "549 (HS2-LWM-IMP-040-20)" in caught.value.detail


def test_import_detects_format_by_content(shared_data: Path) -> None:
    xml = (shared_data / "mspdi" / "sample1-mspdi.xml").read_bytes()

    from_xml = import_schedule(xml, "misnamed.json", max_bytes=MAX_BYTES)
    from_json = import_schedule(sample_project_bytes(), "misnamed.xer", max_bytes=MAX_BYTES)

    assert from_xml.project.source_format == "mspdi"
    assert from_json.project.source_format == "json"


def test_import_mspdi_runs_checks(shared_data: Path) -> None:
    xml = (shared_data / "mspdi" / "mspditimephased.xml").read_bytes()

    result = import_schedule(xml, None, max_bytes=MAX_BYTES)

    assert result.warnings[0].code == "status_date_missing"
    assert "dcma_invalid_dates" in [warning.code for warning in result.warnings]


def test_import_xer_after_blank_lines() -> None:
    data = b"\xef\xbb\xbf\r\n  " + SMALL_XER

    result = import_schedule(data, "plan.xer", max_bytes=MAX_BYTES)

    assert [a.code for a in result.project.activities] == ["A100"]


@pytest.mark.parametrize("field", [b"target_drtn_hr_cnt", b"remain_drtn_hr_cnt"])
def test_import_xer_negative_duration_rejected(field: bytes) -> None:
    data = SMALL_XER.replace(b"\tstatus_code\r\n", b"\tstatus_code\t" + field + b"\r\n")
    data = data.replace(b"\tTK_NotStart\r\n", b"\tTK_NotStart\t-5\r\n")

    with pytest.raises(InvalidProjectError) as caught:
        import_schedule(data, "plan.xer", max_bytes=MAX_BYTES)

    assert caught.value.code == "invalid_values"
    assert "activity A100:" in caught.value.detail
    assert "is negative (-5.00)" in caught.value.detail


def test_import_xer_bom_then_windows_1252() -> None:
    data = b"\xef\xbb\xbf" + SMALL_XER.replace(b"Survey", "Survey – £".encode("cp1252"))

    result = import_schedule(data, "plan.xer", max_bytes=MAX_BYTES)

    assert [a.name for a in result.project.activities] == ["Survey – £"]


def test_import_utf16_mspdi(shared_data: Path) -> None:
    text = (shared_data / "mspdi" / "sample1-mspdi.xml").read_text(encoding="utf-8")
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    result = import_schedule(data, "plan.xml", max_bytes=MAX_BYTES)

    assert result.project.name == "MPXJ Sample"
    assert len(result.project.activities) == 18


BAD_FILES = [
    ("empty", b"", None, "empty_file"),
    ("whitespace", b" \r\n\t\r\n", "plan.xer", "empty_file"),
    ("byte-order-mark-only", b"\xef\xbb\xbf", "plan.json", "empty_file"),
    (
        "xer-without-end",
        b"ERMHDR\t8.1\r\n%T\tPROJECT\r\n%F\tproj_id\r\n%R\t1\r\n",
        "a.xer",
        "truncated",
    ),
    (
        "xer-cut-mid-record",
        b"ERMHDR\t8.1\r\n%T\tTASK\r\n%F\ttask_id\ttask_code\r\n%R\t1",
        "a.xer",
        "truncated",
    ),
    (
        "xer-without-project",
        b"ERMHDR\t8.1\r\n%T\tTASK\r\n%F\ttask_id\r\n%E\r\n",
        "a.xer",
        "invalid_xer",
    ),
    ("named-xer-not-xer", b"PROJECT;TASK\n1;2\n", "plan.xer", "not_xer"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "plan.png", "unsupported_format"),
    ("csv", b"task_id,task_code,start\n1,A100,2025-01-01\n", "plan.csv", "unsupported_format"),
    ("mpp", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "plan.mpp", "unsupported_format"),
    ("zip", b"PK\x03\x04\x14\x00\x00\x00", "plan.xlsx", "unsupported_format"),
    ("billion-laughs", BILLION_LAUGHS, "plan.xml", "xml_entities_forbidden"),
    ("external-entity", EXTERNAL_ENTITY, "plan.xml", "xml_entities_forbidden"),
    (
        "broken-xml",
        b"<Project xmlns='http://schemas.microsoft.com/project'><Tasks>",
        "p.xml",
        "invalid_xml",
    ),
    ("other-xml", b"<?xml version='1.0'?><html><body/></html>", "p.xml", "unsupported_format"),
    ("named-xml-not-xml", b"Project,Tasks", "plan.xml", "invalid_xml"),
    (
        "invalid-json",
        b'{"format": "enhanced-pmr-project", "version": 1,,}',
        "p.json",
        "invalid_json",
    ),
    ("named-json-not-json", b"format: enhanced-pmr-project", "p.json", "invalid_json"),
    (
        "json-fails-validation",
        b'{"format": "enhanced-pmr-project", "version": 1}',
        "p.json",
        "invalid_project",
    ),
    ("json-array", b"[]", "p.json", "invalid_project"),
]


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [pytest.param(data, name_, code, id=case) for case, data, name_, code in BAD_FILES],
)
def test_import_bad_file_rejected(data: bytes, filename: str | None, code: str) -> None:
    with pytest.raises(ScheduleImportError) as caught:
        import_schedule(data, filename, max_bytes=MAX_BYTES)

    assert caught.value.code == code
    assert caught.value.detail


def test_import_over_size_limit_rejected_first() -> None:
    data = b"\x00" * 2_000_001

    with pytest.raises(UnsupportedFormatError) as caught:
        import_schedule(data, "huge.xer", max_bytes=2_000_000)

    assert caught.value.code == "file_too_large"
    assert "2.0 MB, over the 2.0 MB limit" in caught.value.detail


def test_import_binary_garbage_rejected() -> None:
    generator = random.Random(20250731)

    for _ in range(200):
        data = bytes(generator.randrange(256) for _ in range(generator.randrange(1, 400)))

        with pytest.raises(ScheduleImportError):
            import_schedule(data, "upload.bin", max_bytes=MAX_BYTES)


def test_import_truncated_real_xer(real_xer: bytes) -> None:
    generator = random.Random(7)
    cuts = sorted(generator.randrange(len("ERMHDR"), len(real_xer) - 3) for _ in range(25))

    for cut in cuts:
        with pytest.raises(MalformedScheduleError) as caught:
            import_schedule(real_xer[:cut], "cut.xer", max_bytes=MAX_BYTES)

        assert caught.value.code == "truncated", cut


def test_import_truncated_json_and_xml(shared_data: Path) -> None:
    xml = (shared_data / "mspdi" / "sample1-mspdi.xml").read_bytes()
    sample = sample_project_bytes()
    generator = random.Random(11)

    for cut in (generator.randrange(1, len(xml) - 20) for _ in range(25)):
        with pytest.raises(MalformedScheduleError) as caught:
            import_schedule(xml[:cut], "cut.xml", max_bytes=MAX_BYTES)
        assert caught.value.code == "invalid_xml", cut
    for cut in (generator.randrange(1, len(sample) - 5) for _ in range(25)):
        with pytest.raises(MalformedScheduleError) as caught:
            import_schedule(sample[:cut], "cut.json", max_bytes=MAX_BYTES)
        assert caught.value.code == "invalid_json", cut


def test_import_corrupted_bytes_never_crash(shared_data: Path) -> None:
    originals = [
        (shared_data / "mspdi" / "sample1-mspdi.xml").read_bytes(),
        sample_project_bytes(),
    ]
    generator = random.Random(3)
    outcomes: list[str] = []

    for original in originals:
        for _ in range(40):
            data = bytearray(original)
            for _ in range(generator.randrange(1, 6)):
                data[generator.randrange(len(data))] = generator.randrange(256)
            try:
                import_schedule(bytes(data), None, max_bytes=MAX_BYTES)
            except ScheduleImportError as error:
                outcomes.append(error.code)
            else:
                outcomes.append("imported")

    assert len(outcomes) == 80
    assert "imported" in outcomes
    assert set(outcomes) - {"imported"} <= {"invalid_xml", "invalid_json", "invalid_project"}


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(ScheduleImportError("truncated", "cut short"), id="base"),
        pytest.param(UnsupportedFormatError("file_too_large", "too big"), id="unsupported"),
        pytest.param(MalformedScheduleError("invalid_xml", "bad"), id="malformed"),
        pytest.param(InvalidProjectError("$.activities: empty"), id="invalid-project"),
    ],
)
def test_import_errors_pickle_with_fields(error: ScheduleImportError) -> None:
    restored = pickle.loads(pickle.dumps(error))

    assert type(restored) is type(error)
    assert restored.code == error.code
    assert restored.detail == error.detail
    assert str(restored) == f"{error.code}: {error.detail}"
