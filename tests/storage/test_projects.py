"""ProjectRepository on both backends: exact round trips, summaries, validation, atomicity."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from schedules import import_schedule
from schedules.model import ImportResult, MonthlyActual, Project, Relationship
from storage import Conflict, Database, InvalidData, NotFound, ProjectRepository
from storage.models import Base

_XER = Path("schedules") / "sp10-cost-loaded.xer"


def _row_counts(database: Database) -> dict[str, int]:
    with database.session() as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def test_add_then_get_returns_equal_project(
    database: Database, sample_result: ImportResult
) -> None:
    repository = ProjectRepository(database)
    result = sample_result

    project_id = repository.add(result, filename="sample.json")
    loaded = repository.get(project_id)

    assert loaded == result.project


def test_get_keeps_every_collection_in_source_order(
    database: Database, sample_result: ImportResult
) -> None:
    repository = ProjectRepository(database)
    project = sample_result.project
    reordered = dataclasses.replace(
        project,
        activities=tuple(reversed(project.activities)),
        relationships=tuple(reversed(project.relationships)),
        risks=tuple(reversed(project.risks)),
        monthly_actuals=tuple(reversed(project.monthly_actuals)),
    )

    loaded = repository.get(repository.add(ImportResult(reordered), filename="x.json"))

    assert [a.id for a in loaded.activities] == [a.id for a in reordered.activities]
    assert loaded.relationships == reordered.relationships
    assert [r.id for r in loaded.risks] == ["R3", "R2", "R1"]
    assert [m.month for m in loaded.monthly_actuals] == ["2024-01", "2023-12"]


def test_add_stores_minimal_project(database: Database) -> None:
    repository = ProjectRepository(database)
    project = Project(
        source_id="P",
        name="Empty",
        currency="EUR",
        data_date=datetime(2024, 3, 1),
        source_format="json",
    )

    loaded = repository.get(repository.add(ImportResult(project), filename="empty.json"))

    assert loaded == project


def test_summary_reports_counts_costs_and_warnings(
    database: Database, sample_result: ImportResult
) -> None:
    repository = ProjectRepository(database)
    result = sample_result
    before = datetime.now(UTC)

    project_id = repository.add(result, filename="sample.json", imported_by="pm@example.com")
    summary = repository.summary(project_id)

    assert summary.id == project_id
    assert summary.name == result.project.name
    assert summary.code == "RU-2"
    assert summary.currency == "GBP"
    assert summary.data_date == datetime(2024, 1, 31, 17, 0)
    assert summary.source_format == "json"
    assert summary.source_filename == "sample.json"
    assert summary.activity_count == 6
    assert summary.relationship_count == 5
    assert summary.budget_at_completion == result.project.budget_at_completion
    assert summary.actual_cost == result.project.actual_cost
    assert summary.warnings == result.warnings
    assert summary.imported_at.tzinfo is not None
    assert before - timedelta(seconds=1) <= summary.imported_at <= datetime.now(UTC)
    assert summary.imported_by == "pm@example.com"
    assert summary.planned_start == result.project.planned_start
    assert summary.planned_finish == result.project.planned_finish


def test_summary_as_dict_matches_api_shape(
    database: Database, sample_result: ImportResult
) -> None:
    repository = ProjectRepository(database)
    summary = repository.summary(repository.add(sample_result, filename="sample.json"))

    shaped = summary.as_dict()

    assert shaped["project_id"] == summary.id
    assert shaped["activities"] == 6
    assert shaped["relationships"] == 5
    assert shaped["warnings"] == [warning.as_dict() for warning in sample_result.warnings]


def test_list_returns_newest_import_first(database: Database, sample_result: ImportResult) -> None:
    repository = ProjectRepository(database)
    first = repository.add(sample_result, filename="first.json")
    second = repository.add(sample_result, filename="second.json")

    listed = repository.list()

    assert [summary.id for summary in listed] == [second, first]
    assert [summary.activity_count for summary in listed] == [6, 6]


def test_get_unknown_project_raises_not_found(database: Database) -> None:
    repository = ProjectRepository(database)
    unknown = uuid.uuid4()

    with pytest.raises(NotFound) as raised:
        repository.get(unknown)

    assert raised.value.entity == "project"
    assert raised.value.key == unknown


def test_summary_unknown_project_raises_not_found(database: Database) -> None:
    with pytest.raises(NotFound):
        ProjectRepository(database).summary(uuid.uuid4())


def test_delete_removes_every_row_of_project(
    database: Database, sample_result: ImportResult
) -> None:
    repository = ProjectRepository(database)
    kept = repository.add(sample_result, filename="kept.json")
    counts_with_one = _row_counts(database)
    removed = repository.add(sample_result, filename="removed.json")

    repository.delete(removed)

    assert _row_counts(database) == counts_with_one
    assert repository.get(kept) == sample_result.project
    with pytest.raises(NotFound):
        repository.delete(removed)


def test_add_rejects_relationship_to_unknown_activity(
    database: Database, sample_result: ImportResult
) -> None:
    repository = ProjectRepository(database)
    project = sample_result.project
    broken = dataclasses.replace(
        project, relationships=(*project.relationships, Relationship("A1", "GONE"))
    )

    with pytest.raises(InvalidData, match="'A1->GONE'"):
        repository.add(ImportResult(broken), filename="broken.json")

    assert repository.list() == []


def test_add_rejects_duplicate_activity_ids(
    database: Database, sample_result: ImportResult
) -> None:
    repository = ProjectRepository(database)
    project = sample_result.project
    broken = dataclasses.replace(project, activities=(*project.activities, project.activities[0]))

    with pytest.raises(InvalidData, match="duplicate activity ids 'A1'"):
        repository.add(ImportResult(broken), filename="broken.json")


def test_add_rejects_malformed_month(database: Database, sample_result: ImportResult) -> None:
    repository = ProjectRepository(database)
    project = dataclasses.replace(
        sample_result.project, monthly_actuals=(MonthlyActual("2024-13", 1.0),)
    )

    with pytest.raises(InvalidData, match="'2024-13'"):
        repository.add(ImportResult(project), filename="broken.json")


def test_failed_add_leaves_no_rows(database: Database, sample_result: ImportResult) -> None:
    repository = ProjectRepository(database)
    project = sample_result.project
    # The repository leaves a repeated month to the unique constraint, and monthly actuals
    # are inserted last, so every other table has received rows when the database rejects it.
    broken = dataclasses.replace(
        project, monthly_actuals=(*project.monthly_actuals, MonthlyActual("2024-01", 1.0))
    )
    before = _row_counts(database)

    with pytest.raises(Conflict, match="monthly_actuals"):
        repository.add(ImportResult(broken), filename="broken.json")

    assert _row_counts(database) == before


def _import_real_xer(data: bytes) -> ImportResult:
    return import_schedule(data, _XER.name, max_bytes=len(data))


def test_real_xer_round_trip(database: Database, shared_data: Path) -> None:
    result = _import_real_xer((shared_data / _XER).read_bytes())
    project = result.project
    repository = ProjectRepository(database)

    project_id = repository.add(result, filename=_XER.name)
    loaded = repository.get(project_id)
    summary = repository.summary(project_id)

    assert loaded == project
    assert summary.activity_count == len(project.activities)
    assert summary.relationship_count == len(project.relationships)
    assert summary.warnings == result.warnings
