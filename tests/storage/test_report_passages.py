"""Report passages in project search follow each report's collaboration session."""

from __future__ import annotations

import uuid

import pytest

from crdt import ReportDocument
from knowledge import ProjectLibrary
from schedules.model import ImportResult
from storage import (
    CollaborationRepository,
    Database,
    ProjectRepository,
    ReportRepository,
    ReportStatus,
)


def completed_report(database: Database, project_id: uuid.UUID, body: str) -> uuid.UUID:
    reports = ReportRepository(database)
    report_id = reports.create(project_id, title="March", report_month="2024-03").id
    document = ReportDocument()
    document.put_section("summary", title="Summary", body=body, order=0)
    reports.append_updates(report_id, [document.snapshot()])
    reports.set_status(report_id, ReportStatus.COMPLETED)
    return report_id


@pytest.fixture
def two_reports(
    database: Database, sample_result: ImportResult
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Return a project and two completed reports of it, the second one in a session of Ann's."""
    project_id = ProjectRepository(database).add(sample_result, filename="sample.json")
    open_report = completed_report(database, project_id, "The cofferdam leaked in week two.")
    closed_report = completed_report(database, project_id, "The cofferdam was pumped dry.")
    CollaborationRepository(database).start(
        closed_report,
        session_type="collaborative",
        permissions={"ann@example.com": "edit"},
        started_by="pm@example.com",
    )
    return project_id, open_report, closed_report


def searched(library: ProjectLibrary, project_id: uuid.UUID, email: str) -> list[str]:
    index = library.index(project_id)
    hidden = library.closed_to(project_id, email)
    return [hit.passage.passage_id for hit in index.search("cofferdam", k=5, hidden=hidden)]


def test_search_leaves_out_reports_closed_to_caller(
    database: Database, two_reports: tuple[uuid.UUID, uuid.UUID, uuid.UUID]
) -> None:
    project_id, open_report, closed_report = two_reports
    library = ProjectLibrary(database)

    outsider = searched(library, project_id, "bob@example.com")
    participant = searched(library, project_id, "ann@example.com")

    assert outsider == [f"report:{open_report}:summary:1"]
    assert sorted(participant) == sorted(
        f"report:{report}:summary:1" for report in (open_report, closed_report)
    )
    assert library.closed_to(project_id, "ann@example.com") is None
    assert CollaborationRepository(database).closed_to(
        [open_report, closed_report], "bob@example.com"
    ) == {closed_report}
    assert (
        CollaborationRepository(database).closed_to(
            [closed_report], "bob@example.com", is_admin=True
        )
        == set()
    )


def test_citations_leave_out_every_report_with_session(
    database: Database, two_reports: tuple[uuid.UUID, uuid.UUID, uuid.UUID]
) -> None:
    project_id, open_report, _ = two_reports
    library = ProjectLibrary(database)

    hidden = library.closed_to(project_id, None)
    hits = library.index(project_id).search("cofferdam", k=5, hidden=hidden)

    assert [hit.passage.passage_id for hit in hits] == [f"report:{open_report}:summary:1"]
