"""Storage of monthly reports: their metadata and the append-only log of document updates.

The report document is a Yjs document. Its durable form is a snapshot covering updates
1..N plus the log rows after N; ``append_updates`` adds to the log, ``load`` reads both,
and ``compact`` replaces the snapshot and deletes the rows it now covers.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.orm import Session

from storage.database import Database
from storage.errors import Conflict, InvalidData, NotFound
from storage.models import ReportRow, ReportSnapshotRow, ReportUpdateRow
from storage.models.base import utc_now

logger = logging.getLogger(__name__)

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class ReportStatus(StrEnum):
    GENERATING = "generating"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A report's metadata.

    ``version`` starts at 0; ``complete`` raises it by one and ``touch`` may set it to the
    document's own version counter.
    """

    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    description: str
    report_month: str
    template_id: uuid.UUID | None
    status: ReportStatus
    error: str | None
    version: int
    created_at: datetime
    created_by: str | None
    generated_at: datetime | None
    last_modified: datetime
    summary: dict[str, Any]


class StoredDocument(NamedTuple):
    """A report document as stored: a snapshot and the updates after it.

    ``snapshot`` is None before the first compaction; ``updates`` are (seq, update) pairs
    in seq order.
    """

    snapshot: bytes | None
    updates: list[tuple[int, bytes]]


class ReportRepository:
    """Creates reports, tracks their generation, and stores their document updates."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def create(
        self,
        project_id: uuid.UUID,
        *,
        title: str,
        report_month: str,
        description: str | None = None,
        template_id: uuid.UUID | None = None,
        created_by: str | None = None,
    ) -> ReportRecord:
        """Create a report in status ``generating`` and return it; no description is stored as "".

        Raises:
            InvalidData: ``report_month`` is not of the form YYYY-MM.
            IntegrityError: the project or template does not exist.
        """
        if not _MONTH.fullmatch(report_month):
            raise InvalidData(f"report month {report_month!r} is invalid; expected YYYY-MM")
        report_id = uuid.uuid4()
        now = utc_now()
        values = {
            "id": report_id,
            "project_id": project_id,
            "title": title,
            "description": description or "",
            "report_month": report_month,
            "template_id": template_id,
            "status": ReportStatus.GENERATING.value,
            "error": None,
            "version": 0,
            "last_seq": 0,
            "created_at": now,
            "created_by": created_by,
            "generated_at": None,
            "last_modified": now,
            "summary": {},
        }
        with self._database.session() as session:
            row = ReportRow(**values)
            session.add(row)
            session.flush()
            record = _record(row)
        logger.info("created report %s of project %s for %s", report_id, project_id, report_month)
        return record

    def get(self, report_id: uuid.UUID) -> ReportRecord:
        """Return one report's metadata."""
        with self._database.session() as session:
            return _record(_report_row(session, report_id))

    def list_for_project(self, project_id: uuid.UUID) -> list[ReportRecord]:
        """Return the reports of one project, newest first."""
        query = (
            select(ReportRow)
            .where(ReportRow.project_id == project_id)
            .order_by(ReportRow.created_at.desc(), ReportRow.id)
        )
        with self._database.session() as session:
            return [_record(row) for row in session.scalars(query)]

    def set_status(
        self, report_id: uuid.UUID, status: ReportStatus, *, error: str | None = None
    ) -> ReportRecord:
        """Set a report's status; ``error`` is required for ``failed`` and cleared otherwise."""
        if status is ReportStatus.FAILED and not error:
            raise InvalidData(f"report {report_id} set to failed without an error message")
        if status is not ReportStatus.FAILED and error is not None:
            raise InvalidData(
                f"report {report_id} set to {status.value} with an error message; "
                "only failed reports carry one"
            )
        with self._database.session() as session:
            row = _report_row(session, report_id)
            row.status = status.value
            row.error = error
            row.last_modified = utc_now()
            return _record(row)

    def complete(self, report_id: uuid.UUID, *, summary: dict[str, Any]) -> ReportRecord:
        """Mark a generation finished: raise the version and store the listing summary."""
        with self._database.session() as session:
            row = _report_row(session, report_id)
            now = utc_now()
            row.status = ReportStatus.COMPLETED.value
            row.error = None
            # Incremented in SQL, so two completions racing on one report both count.
            row.version = ReportRow.version + 1
            row.generated_at = now
            row.last_modified = now
            row.summary = summary
            session.flush()
            record = _record(row)
        logger.info("report %s completed, version %d", report_id, record.version)
        return record

    def touch(
        self,
        report_id: uuid.UUID,
        *,
        version: int | None = None,
        last_modified: datetime | None = None,
    ) -> ReportRecord:
        """Record an edit of the report document in its metadata.

        Sets ``last_modified`` (now unless given) and, when given, ``version`` to the
        document's own version counter.
        """
        if last_modified is not None and last_modified.tzinfo is None:
            raise InvalidData(
                f"last_modified {last_modified.isoformat()} of report {report_id} has no time "
                "zone; pass an aware datetime, for example in UTC"
            )
        with self._database.session() as session:
            row = _report_row(session, report_id)
            if version is not None:
                row.version = version
            row.last_modified = last_modified or utc_now()
            return _record(row)

    def append_updates(self, report_id: uuid.UUID, updates: Sequence[bytes]) -> int:
        """Store a batch of updates in one transaction and return the seq of the last one.

        Seqs continue from the report's highest seq; concurrent callers get disjoint,
        increasing ranges because the report row stays locked until the commit.
        An empty batch stores nothing and returns the current highest seq.
        """
        # Every live edit passes here, so it runs on a Core connection, not a session.
        with self._database.transaction() as connection:
            last_seq = _reserve_seqs(connection, report_id, len(updates))
            if updates:
                connection.execute(
                    insert(ReportUpdateRow), _update_rows(report_id, updates, last_seq)
                )
        logger.debug(
            "stored %d updates of report %s up to seq %d", len(updates), report_id, last_seq
        )
        return last_seq

    def load(self, report_id: uuid.UUID) -> StoredDocument:
        """Read a report's snapshot and the updates stored after it, in seq order."""
        with self._database.session() as session:
            _report_row(session, report_id)
            # The log is read before the snapshot: a compaction committing in between then
            # yields a newer snapshot and updates that overlap it, never a gap.
            log = session.execute(
                select(ReportUpdateRow.seq, ReportUpdateRow.update)
                .where(ReportUpdateRow.report_id == report_id)
                .order_by(ReportUpdateRow.seq)
            ).all()
            snapshot = session.get(ReportSnapshotRow, report_id)
        if snapshot is None:
            return StoredDocument(None, [(seq, bytes(data)) for seq, data in log])
        later = [(seq, bytes(data)) for seq, data in log if seq > snapshot.seq]
        return StoredDocument(bytes(snapshot.snapshot), later)

    def compact(self, report_id: uuid.UUID, merged_snapshot: bytes, up_to_seq: int) -> None:
        """Replace the snapshot with one covering updates 1..``up_to_seq``, drop those rows.

        Raises:
            Conflict: ``up_to_seq`` is behind the stored snapshot or ahead of the log.
        """
        with self._database.session() as session:
            # Locking the report row first orders this against concurrent appends.
            last_seq = _reserve_seqs(session, report_id, 0)
            snapshot = session.get(ReportSnapshotRow, report_id)
            covered = snapshot.seq if snapshot is not None else 0
            if not covered <= up_to_seq <= last_seq:
                raise Conflict(
                    f"cannot compact report {report_id} up to seq {up_to_seq}: the snapshot "
                    f"covers seq {covered} and the log ends at seq {last_seq}; reload and retry"
                )
            if snapshot is None:
                session.add(
                    ReportSnapshotRow(report_id=report_id, seq=up_to_seq, snapshot=merged_snapshot)
                )
            else:
                snapshot.seq = up_to_seq
                snapshot.snapshot = merged_snapshot
                snapshot.created_at = utc_now()
            removed = session.execute(
                delete(ReportUpdateRow).where(
                    ReportUpdateRow.report_id == report_id, ReportUpdateRow.seq <= up_to_seq
                )
            )
        logger.info(
            "compacted report %s up to seq %d (%d bytes, %s log rows removed)",
            report_id,
            up_to_seq,
            len(merged_snapshot),
            getattr(removed, "rowcount", "?"),
        )


def _reserve_seqs(session: Session | Connection, report_id: uuid.UUID, count: int) -> int:
    """Raise the report's highest seq by ``count`` and return the new value.

    A non-zero ``count`` also sets ``last_modified``, because the document changed.
    The UPDATE takes the report's row lock on PostgreSQL and the write lock on SQLite, so
    it must be the first statement of the transaction.
    """
    values: dict[str, Any] = {"last_seq": ReportRow.last_seq + count}
    if count:
        values["last_modified"] = utc_now()
    last_seq = session.execute(
        update(ReportRow)
        .where(ReportRow.id == report_id)
        .values(values)
        .returning(ReportRow.last_seq)
    ).scalar_one_or_none()
    if last_seq is None:
        raise NotFound("report", report_id)
    return last_seq


def _update_rows(
    report_id: uuid.UUID, updates: Sequence[bytes], last_seq: int
) -> list[dict[str, Any]]:
    first = last_seq - len(updates) + 1
    now = utc_now()
    return [
        {"report_id": report_id, "seq": first + index, "update": data, "created_at": now}
        for index, data in enumerate(updates)
    ]


def _report_row(session: Session, report_id: uuid.UUID) -> ReportRow:
    row = session.get(ReportRow, report_id)
    if row is None:
        raise NotFound("report", report_id)
    return row


def _record(row: ReportRow) -> ReportRecord:
    return ReportRecord(
        id=row.id,
        project_id=row.project_id,
        title=row.title,
        description=row.description,
        report_month=row.report_month,
        template_id=row.template_id,
        status=ReportStatus(row.status),
        error=row.error,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        generated_at=row.generated_at,
        last_modified=row.last_modified,
        summary=row.summary,
    )
