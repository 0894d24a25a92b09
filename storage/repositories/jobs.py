"""Storage of background jobs and their progress.

A job moves from ``queued`` to ``running`` and ends ``completed``, ``failed`` or
``cancelled``; a queued job may also fail or be cancelled before it starts. Each change is a
conditional UPDATE, so two workers racing on the same job cannot both win, and a worker
whose job was cancelled learns it from the Conflict its next ``progress`` call raises.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update

from storage.database import Database
from storage.errors import Conflict, InvalidData, NotFound
from storage.models import JobRow
from storage.models.base import utc_now

logger = logging.getLogger(__name__)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_finished(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job's state; ``progress`` is a fraction from 0 to 1."""

    id: uuid.UUID
    kind: str
    status: JobStatus
    progress: float
    message: str
    error: str | None
    result: Any
    project_id: uuid.UUID | None
    report_id: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a dict, with the status as its string value."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status.value,
            "progress": self.progress,
            "message": self.message,
            "error": self.error,
            "result": self.result,
            "project_id": self.project_id,
            "report_id": self.report_id,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


# Called with each state a job enters, after it is stored: publishers, metrics.
JobObserver = Callable[[JobRecord], None]


class JobRepository:
    """Creates jobs and records their transitions, progress and outcome."""

    def __init__(self, database: Database, *, on_change: JobObserver | None = None) -> None:
        self._database = database
        self._on_change = on_change

    def create(
        self,
        kind: str,
        report_id: uuid.UUID | None = None,
        *,
        project_id: uuid.UUID | None = None,
    ) -> JobRecord:
        """Queue a job of ``kind`` working on the given report or project and return it."""
        job_id = uuid.uuid4()
        values = {
            "id": job_id,
            "kind": kind,
            "status": JobStatus.QUEUED.value,
            "progress": 0.0,
            "message": "",
            "error": None,
            "result": None,
            "project_id": project_id,
            "report_id": report_id,
            "created_at": utc_now(),
        }
        with self._database.session() as session:
            row = JobRow(**values)
            session.add(row)
            session.flush()
            record = _record(row)
        logger.info("queued %s job %s", kind, job_id)
        self._notify(record)
        return record

    def get(self, job_id: uuid.UUID) -> JobRecord:
        """Return one job's state."""
        with self._database.session() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                raise NotFound("job", job_id)
            return _record(row)

    def list(
        self, *, project_id: uuid.UUID | None = None, report_id: uuid.UUID | None = None
    ) -> list[JobRecord]:
        """Return the jobs on a project or report (all jobs without a filter), newest first."""
        query = select(JobRow).order_by(JobRow.created_at.desc(), JobRow.id)
        if project_id is not None:
            query = query.where(JobRow.project_id == project_id)
        if report_id is not None:
            query = query.where(JobRow.report_id == report_id)
        with self._database.session() as session:
            return [_record(row) for row in session.scalars(query)]

    def start(self, job_id: uuid.UUID) -> JobRecord:
        """Move a queued job to running."""
        return self._transition(
            job_id, "start", (JobStatus.QUEUED,), status=JobStatus.RUNNING, started_at=utc_now()
        )

    def progress(self, job_id: uuid.UUID, fraction: float, message: str = "") -> JobRecord:
        """Record a running job's progress as a fraction from 0 to 1, with a status line."""
        if not (math.isfinite(fraction) and 0.0 <= fraction <= 1.0):
            raise InvalidData(f"progress {fraction} of job {job_id} is not between 0 and 1")
        return self._transition(
            job_id,
            "record progress of",
            (JobStatus.RUNNING,),
            progress=round(fraction, 4),
            message=message,
        )

    def complete(self, job_id: uuid.UUID, result: Any = None) -> JobRecord:
        """Finish a running job with a JSON-serialisable result."""
        record = self._transition(
            job_id,
            "complete",
            (JobStatus.RUNNING,),
            status=JobStatus.COMPLETED,
            progress=1.0,
            message="completed",
            result=result,
            finished_at=utc_now(),
        )
        logger.info("%s job %s completed", record.kind, job_id)
        return record

    def fail(self, job_id: uuid.UUID, error: str) -> JobRecord:
        """Finish a queued or running job as failed with an error message."""
        record = self._transition(
            job_id, "fail", _ACTIVE, status=JobStatus.FAILED, error=error, finished_at=utc_now()
        )
        logger.info("%s job %s failed: %s", record.kind, job_id, error)
        return record

    def cancel(self, job_id: uuid.UUID) -> JobRecord:
        """Cancel a queued or running job; its worker gets Conflict on its next update."""
        record = self._transition(
            job_id, "cancel", _ACTIVE, status=JobStatus.CANCELLED, finished_at=utc_now()
        )
        logger.info("%s job %s cancelled", record.kind, job_id)
        return record

    def _transition(
        self, job_id: uuid.UUID, action: str, allowed: Collection[JobStatus], **values: Any
    ) -> JobRecord:
        """Apply ``values`` if the job is in an ``allowed`` status, else raise Conflict."""
        if isinstance(values.get("status"), JobStatus):
            values["status"] = values["status"].value
        with self._database.session() as session:
            changed = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status.in_([s.value for s in allowed]))
                .values(values)
                .returning(JobRow.id)
            ).scalar_one_or_none()
            row = session.get(JobRow, job_id, populate_existing=True)
            if row is None:
                raise NotFound("job", job_id)
            if changed is None:
                expected = " or ".join(status.value for status in allowed)
                raise Conflict(
                    f"cannot {action} job {job_id} because it is {row.status}, not {expected}"
                )
            record = _record(row)
        self._notify(record)
        return record

    def _notify(self, record: JobRecord) -> None:
        if self._on_change is not None:
            self._on_change(record)


def _record(row: JobRow) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        status=JobStatus(row.status),
        progress=row.progress,
        message=row.message,
        error=row.error,
        result=row.result,
        project_id=row.project_id,
        report_id=row.report_id,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
