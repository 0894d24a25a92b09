"""Export history, logos and template edits on both backends."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from schedules.model import ImportResult
from storage import (
    DETAILED_TEMPLATE_ID,
    EXECUTIVE_TEMPLATE_ID,
    Database,
    ExportRepository,
    InvalidData,
    JobRepository,
    LogoRepository,
    NewExport,
    NotFound,
    ProjectRepository,
    ReportRepository,
    TemplateContent,
    TemplateRepository,
    template_sections,
)
from storage.models import TemplateRow

_BUILTIN = (EXECUTIVE_TEMPLATE_ID, DETAILED_TEMPLATE_ID)


@pytest.fixture
def report_id(database: Database, sample_result: ImportResult) -> uuid.UUID:
    project_id = ProjectRepository(database).add(sample_result, filename="sample.json")
    return ReportRepository(database).create(project_id, title="t", report_month="2024-01").id


@pytest.fixture
def templates(database: Database) -> Iterator[TemplateRepository]:
    """The repository; templates a test creates are deleted after it, built-ins restored."""
    original = TemplateRepository(database).get(EXECUTIVE_TEMPLATE_ID)
    yield TemplateRepository(database)
    with database.session() as session:
        session.execute(delete(TemplateRow).where(TemplateRow.id.not_in(_BUILTIN)))
        row = session.get(TemplateRow, EXECUTIVE_TEMPLATE_ID)
        assert row is not None
        row.name = original.name
        row.sections = [section.as_dict() for section in original.sections]
        row.styling = dict(original.styling)
        row.updated_at = None


def _export(report_id: uuid.UUID, job_id: uuid.UUID, **changes: object) -> NewExport:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "report_id": report_id,
        "job_id": job_id,
        "format": "pdf",
        "template_id": EXECUTIVE_TEMPLATE_ID,
        "template_name": "Executive Dashboard",
        "requested_by": "pm@example.com",
        "requested_at": datetime(2025, 7, 31, 9, 0, tzinfo=UTC),
        "file_name": "report.pdf",
        "content_type": "application/pdf",
        "size_bytes": 1234,
        "sha256": hashlib.sha256(b"pdf").hexdigest(),
        "pages": 7,
        "options": {"include_charts": True},
    }
    values.update(changes)
    return NewExport(**values)  # type: ignore[arg-type]


def _content(name: str, section_ids: list[str]) -> TemplateContent:
    sections = template_sections(
        [
            {
                "section_id": section_id,
                "title": section_id.replace("_", " ").title(),
                "ai_suggestions": {
                    "content_type": "natural_language_summary",
                    "include_predictions": False,
                    "focus_areas": ["budget"],
                },
            }
            for section_id in section_ids
        ]
    )
    return TemplateContent(
        name=name,
        description="For the board",
        template_type="custom",
        industry_focus="construction",
        sections=sections,
        export_formats=("pdf", "excel"),
        styling={"color_scheme": "forest_green"},
    )


def test_export_history_lists_newest_first(database: Database, report_id: uuid.UUID) -> None:
    exports = ExportRepository(database)
    job_id = JobRepository(database).create("export", report_id).id
    first = exports.record(_export(report_id, job_id, format="excel"))
    second = exports.record(_export(report_id, job_id))

    history = exports.history(report_id)

    assert [record.id for record in history] == [second.id, first.id]
    assert history[0].requested_at == datetime(2025, 7, 31, 9, 0, tzinfo=UTC)
    assert history[0].completed_at >= history[1].completed_at
    assert history[1].as_dict()["format"] == "excel"
    assert history[0].options == {"include_charts": True}


def test_export_with_unknown_format_is_rejected(database: Database, report_id: uuid.UUID) -> None:
    job_id = JobRepository(database).create("export", report_id).id

    with pytest.raises(InvalidData, match="'docx' is unknown"):
        ExportRepository(database).record(_export(report_id, job_id, format="docx"))

    assert ExportRepository(database).history(report_id) == []


def test_export_get_unknown_id_raises_not_found(database: Database) -> None:
    with pytest.raises(NotFound, match="export"):
        ExportRepository(database).get(uuid.uuid4())


def test_logo_round_trips_bytes(database: Database) -> None:
    logos = LogoRepository(database)
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256))

    stored = logos.add(
        content_type="image/png",
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        file_name="logo.png",
        uploaded_by="admin@example.com",
    )
    loaded = logos.get(stored.id)

    assert loaded.data == data
    assert loaded.size_bytes == len(data)
    assert loaded.uploaded_at - datetime.now(UTC) < timedelta(minutes=1)


def test_logo_of_unknown_type_is_rejected(database: Database) -> None:
    with pytest.raises(InvalidData, match="image/gif"):
        LogoRepository(database).add(
            content_type="image/gif",
            data=b"GIF89a",
            sha256="0" * 64,
            file_name="x.gif",
            uploaded_by="admin@example.com",
        )


def test_builtin_templates_carry_styling(database: Database) -> None:
    executive = TemplateRepository(database).get(EXECUTIVE_TEMPLATE_ID)
    detailed = TemplateRepository(database).get(DETAILED_TEMPLATE_ID)

    assert executive.styling["color_scheme"] == "corporate_blue"
    assert detailed.styling["color_scheme"] == "slate"
    assert executive.created_by is None


def test_template_create_then_replace_keeps_usage(templates: TemplateRepository) -> None:
    created = templates.create(
        _content("Board pack", ["executive_summary", "risk_assessment"]),
        created_by="admin@example.com",
    )
    templates.record_use(created.id)

    replaced = templates.replace(created.id, _content("Board pack v2", ["executive_summary"]))

    assert replaced.name == "Board pack v2"
    assert [section.section_id for section in replaced.sections] == ["executive_summary"]
    assert replaced.usage_count == 1
    assert replaced.updated_at is not None
    assert replaced.created_by == "admin@example.com"
    assert templates.get(created.id).styling == {"color_scheme": "forest_green"}


@pytest.mark.parametrize(
    ("section_ids", "formats", "words"),
    [
        pytest.param([], ("pdf",), "has no sections", id="no-sections"),
        pytest.param(["risk_assessment"] * 2, ("pdf",), "repeats sections", id="repeated"),
        pytest.param(["risk_assessment"], ("docx",), "export formats", id="bad-format"),
    ],
)
def test_template_content_rejects_invalid(
    templates: TemplateRepository, section_ids: list[str], formats: tuple[str, ...], words: str
) -> None:
    content = dataclasses.replace(_content("Broken", section_ids), export_formats=formats)

    with pytest.raises(InvalidData, match=words):
        templates.create(content, created_by="admin@example.com")


def test_template_replace_unknown_raises_not_found(templates: TemplateRepository) -> None:
    with pytest.raises(NotFound, match="template"):
        templates.replace(uuid.uuid4(), _content("Ghost", ["executive_summary"]))
