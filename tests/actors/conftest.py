from __future__ import annotations

import uuid

import pytest

from config import Settings
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
