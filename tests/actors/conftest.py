from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from actors.report_actor import ReportActor
from config import Settings, logs
from crdt import ReportDocument
from schedules import import_schedule, sample_project_bytes
from storage import Database, ProjectRepository, ReportRepository


@pytest.fixture(scope="session")
def sample_project_id(session_settings: Settings) -> uuid.UUID:
    result = import_schedule(sample_project_bytes(), "sample-project.json", max_bytes=10**7)
    database = Database(session_settings.sqlalchemy_url)
    try:
        return ProjectRepository(database).add(result, filename="sample-project.json")
    finally:
        database.dispose()


@pytest.fixture
def new_report_id(session_settings: Settings, sample_project_id: uuid.UUID) -> uuid.UUID:
    database = Database(session_settings.sqlalchemy_url)
    try:
        record = ReportRepository(database).create(
            sample_project_id, title="Test report", report_month="2024-03"
        )
    finally:
        database.dispose()
    return record.id


def stored_state(
    settings: Settings, report_id: uuid.UUID
) -> tuple[bytes | None, list[bytes], dict[str, Any]]:
    """Return the stored snapshot, the log's updates and the report a new actor would load."""
    database = Database(settings.sqlalchemy_url)
    try:
        snapshot, rows = ReportRepository(database).load(report_id)
    finally:
        database.dispose()
    updates = [update for _, update in rows]
    document = ReportDocument.from_updates(([snapshot] if snapshot else []) + updates)
    return snapshot, updates, document.to_dict()


# A small generated report for the in-process actor.
CONTENT: dict[str, Any] = {
    "meta": {"title": "March report"},
    "sections": [
        {"section_id": "risk", "title": "Risks", "body": "Crane hire is late.", "order": 0},
        {"section_id": "summary", "title": "Summary", "body": "On plan.", "order": 1},
    ],
    "insights": [],
    "metrics": {},
}


@pytest.fixture
async def actor(
    session_settings: Settings, new_report_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ReportActor]:
    # A report actor tags every line its process logs with its report id. Here the process
    # is the test run, so the tag is dropped again when the test ends.
    monkeypatch.setattr(logs, "_process_context", {})
    report_actor = ReportActor(str(new_report_id), session_settings)
    await report_actor.write_generated(CONTENT)
    yield report_actor
    # The housekeeping task would otherwise outlive the test's event loop.
    if report_actor._housekeeping is not None:
        report_actor._housekeeping.cancel()
    await report_actor._stream.stop()
