"""JobRepository on both backends: the job lifecycle and its forbidden transitions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC

import pytest

from schedules.model import ImportResult
from storage import (
    Conflict,
    Database,
    InvalidData,
    JobRepository,
    JobStatus,
    NotFound,
    ProjectRepository,
    ReportRepository,
)


@pytest.fixture
def report_id(database: Database, sample_result: ImportResult) -> uuid.UUID:
    project_id = ProjectRepository(database).add(sample_result, filename="sample.json")
    return ReportRepository(database).create(project_id, title="t", report_month="2024-01").id


def test_job_runs_from_queued_to_completed(database: Database, report_id: uuid.UUID) -> None:
    jobs = JobRepository(database)

    queued = jobs.create("report_generation", report_id)
    job_id = queued.id
    started = jobs.start(job_id)
    halfway = jobs.progress(job_id, 0.5, "simulating")
    done = jobs.complete(job_id, {"report_id": str(report_id), "iterations": 10000})

    assert queued.status is JobStatus.QUEUED
    assert queued.kind == "report_generation"
    assert queued.report_id == report_id
    assert queued.project_id is None
    assert queued.progress == 0.0
    assert queued.started_at is None
    assert queued.created_at.tzinfo is UTC
    assert started.status is JobStatus.RUNNING
    assert started.started_at is not None
    assert halfway.progress == 0.5
    assert halfway.message == "simulating"
    assert done.status is JobStatus.COMPLETED
    assert done.progress == 1.0
    assert done.result == {"report_id": str(report_id), "iterations": 10000}
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.finished_at >= done.started_at
    assert jobs.get(job_id) == done
    assert jobs.get(job_id).created_at == queued.created_at


def test_fail_records_error(database: Database) -> None:
    jobs = JobRepository(database)
    job_id = jobs.create("export").id
    jobs.start(job_id)

    failed = jobs.fail(job_id, "renderer crashed")

    assert failed.status is JobStatus.FAILED
    assert failed.error == "renderer crashed"
    assert failed.result is None
    assert failed.status.is_finished


def test_cancelled_job_rejects_progress(database: Database) -> None:
    jobs = JobRepository(database)
    job_id = jobs.create("monte_carlo").id
    jobs.start(job_id)

    cancelled = jobs.cancel(job_id)

    assert cancelled.status is JobStatus.CANCELLED
    with pytest.raises(Conflict, match="because it is cancelled, not running"):
        jobs.progress(job_id, 0.9)
    assert jobs.get(job_id).progress == 0.0


_FORBIDDEN: list[tuple[str, Callable[[JobRepository, uuid.UUID], object]]] = [
    ("progress-before-start", lambda jobs, job_id: jobs.progress(job_id, 0.1)),
    ("complete-before-start", lambda jobs, job_id: jobs.complete(job_id)),
]


@pytest.mark.parametrize(
    "action", [action for _, action in _FORBIDDEN], ids=[name for name, _ in _FORBIDDEN]
)
def test_queued_job_rejects_running_actions(
    database: Database, action: Callable[[JobRepository, uuid.UUID], object]
) -> None:
    jobs = JobRepository(database)
    job_id = jobs.create("export").id

    with pytest.raises(Conflict, match="because it is queued"):
        action(jobs, job_id)

    assert jobs.get(job_id).status is JobStatus.QUEUED


def test_finished_job_cannot_restart_or_cancel(database: Database) -> None:
    jobs = JobRepository(database)
    job_id = jobs.create("export").id
    jobs.start(job_id)
    jobs.complete(job_id)

    with pytest.raises(Conflict):
        jobs.start(job_id)
    with pytest.raises(Conflict):
        jobs.cancel(job_id)
    assert jobs.get(job_id).status is JobStatus.COMPLETED


@pytest.mark.parametrize("fraction", [-0.1, 1.5, float("nan")], ids=["negative", "over", "nan"])
def test_progress_rejects_fraction_outside_unit_interval(
    database: Database, fraction: float
) -> None:
    jobs = JobRepository(database)
    job_id = jobs.create("export").id
    jobs.start(job_id)

    with pytest.raises(InvalidData, match="not between 0 and 1"):
        jobs.progress(job_id, fraction)


def test_unknown_job_raises_not_found(database: Database) -> None:
    with pytest.raises(NotFound, match="job"):
        JobRepository(database).start(uuid.uuid4())


def test_list_filters_by_report(database: Database, report_id: uuid.UUID) -> None:
    jobs = JobRepository(database)
    first = jobs.create("report_generation", report_id).id
    second = jobs.create("export", report_id).id
    other = jobs.create("export").id

    listed = jobs.list(report_id=report_id)

    assert [job.id for job in listed] == [second, first]
    assert {job.id for job in jobs.list()} == {first, second, other}


def test_as_dict_carries_status_value(database: Database) -> None:
    jobs = JobRepository(database)
    record = jobs.create("export")

    fields = record.as_dict()

    assert fields["status"] == "queued"
    assert fields["id"] == record.id
    assert set(fields) == set(record.__dataclass_fields__)
