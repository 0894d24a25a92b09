"""The audit trail: who changed which report, section, session, template or export.

Entries are appended, never updated, and hash-chained (``storage.repositories.audit_chain``).
An append locks the chain head row before it reads the last hash: ``SELECT ... FOR UPDATE``
on PostgreSQL, and on SQLite a write as the transaction's first statement, which takes the
database's write lock. Writers in any number of processes therefore extend one chain.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, func, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.database import Database
from storage.errors import IntegrityError, InvalidData
from storage.models.audit import CHAIN_HEAD_ID, GENESIS_HASH, AuditChainHeadRow, AuditEntryRow
from storage.models.base import utc_now
from storage.repositories.audit_chain import ChainChecker, ChainVerdict, EntryContent

logger = logging.getLogger(__name__)

_PAGE = 1000
_LISTED_AT_MOST = 1000


class AuditTarget(StrEnum):
    """The kind of object an audited change targets."""

    REPORT = "report"
    SECTION = "section"
    SESSION = "session"
    TEMPLATE = "template"
    EXPORT = "export"
    LOGO = "logo"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """A change to append: who, what, to which target, and content hashes around it.

    ``before_hash`` is None for something new; ``after_hash`` None for something removed.
    """

    actor: str
    action: str
    target_type: AuditTarget
    target_id: str
    report_id: uuid.UUID | None = None
    before_hash: str | None = None
    after_hash: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A stored audit entry."""

    seq: int
    recorded_at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    report_id: uuid.UUID | None
    detail: dict[str, Any]
    before_hash: str | None
    after_hash: str | None
    previous_hash: str
    entry_hash: str

    def as_dict(self) -> dict[str, Any]:
        """Return the entry with ids and times as JSON strings."""
        return {
            "seq": self.seq,
            "recorded_at": self.recorded_at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "report_id": str(self.report_id) if self.report_id else None,
            "detail": self.detail,
            "before_hash": self.before_hash,
            "after_hash": self.after_hash,
            "previous_hash": self.previous_hash,
            "entry_hash": self.entry_hash,
        }


class AuditRepository:
    """Appends to the audit chain, lists a report's entries and verifies the chain."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def append(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """Append ``events`` in order, in one transaction, and return them as stored.

        Raises:
            InvalidData: an event's fields are too long or its detail is not plain JSON.
            IntegrityError: the chain head row is missing while the log contains entries.
        """
        for event in events:
            _check(event)
        if not events:
            return []
        with self._database.session() as session:
            seq, previous = _lock_head(session, self._database.dialect)
            now = utc_now()
            entries = []
            for event in events:
                seq += 1
                content = _content(event, seq, now, previous)
                previous = content.digest()
                entries.append(_entry(content, previous))
            session.add_all(_row(entry) for entry in entries)
            session.execute(
                update(AuditChainHeadRow)
                .where(AuditChainHeadRow.id == CHAIN_HEAD_ID)
                .values(seq=seq, entry_hash=previous)
            )
        logger.debug("audit entries %d to %d appended", entries[0].seq, entries[-1].seq)
        return entries

    def for_report(
        self, report_id: uuid.UUID, *, after_seq: int = 0, limit: int = 100
    ) -> list[AuditEntry]:
        """Return the report's entries after ``after_seq``, oldest first, at most ``limit``."""
        return self._list(AuditEntryRow.report_id == report_id, after_seq, limit)

    def entries(
        self, *, after_seq: int = 0, limit: int = 100, target_type: AuditTarget | None = None
    ) -> list[AuditEntry]:
        """Return entries after ``after_seq``, of one target type if given, oldest first."""
        condition = true() if target_type is None else AuditEntryRow.target_type == target_type
        return self._list(condition, after_seq, limit)

    def _list(
        self, condition: ColumnElement[bool], after_seq: int, limit: int
    ) -> list[AuditEntry]:
        if not 1 <= limit <= _LISTED_AT_MOST:
            raise InvalidData(f"limit {limit} is out of range; ask for 1 to {_LISTED_AT_MOST}")
        query = (
            select(AuditEntryRow)
            .where(condition, AuditEntryRow.seq > after_seq)
            .order_by(AuditEntryRow.seq)
            .limit(limit)
        )
        with self._database.session() as session:
            return [_from_row(row) for row in session.scalars(query)]

    def verify(self) -> ChainVerdict:
        """Recompute every entry's hash and link, oldest first, and compare the chain head."""
        checker = ChainChecker()
        checker.check_all((_content_of(entry), entry.entry_hash) for entry in self._all_entries())
        with self._database.session() as session:
            head = session.execute(
                select(AuditChainHeadRow.seq, AuditChainHeadRow.entry_hash).where(
                    AuditChainHeadRow.id == CHAIN_HEAD_ID
                )
            ).one_or_none()
        verdict = checker.finish(None if head is None else (head[0], head[1]))
        logger.info(
            "audit chain of %d entries verified: %d problems",
            verdict.entries,
            len(verdict.problems),
        )
        return verdict

    def _all_entries(self) -> Iterator[AuditEntry]:
        """Yield every entry in sequence order, a page per transaction."""
        after = -1
        while True:
            query = (
                select(AuditEntryRow)
                .where(AuditEntryRow.seq > after)
                .order_by(AuditEntryRow.seq)
                .limit(_PAGE)
            )
            with self._database.session() as session:
                page = [_from_row(row) for row in session.scalars(query)]
            yield from page
            if len(page) < _PAGE:
                return
            after = page[-1].seq


def _lock_head(session: Session, dialect: str) -> tuple[int, str]:
    """Lock the chain head for this transaction and return its seq and hash.

    A missing head row is created when the log is empty, as after a reset of every table.
    """
    if dialect == "sqlite":
        # SQLite ignores FOR UPDATE; this write, the transaction's first statement, takes
        # the database's write lock until the commit.
        session.execute(
            update(AuditChainHeadRow)
            .where(AuditChainHeadRow.id == CHAIN_HEAD_ID)
            .values(seq=AuditChainHeadRow.seq)
        )
    head = _select_head(session)
    if head is not None:
        return head
    if session.scalar(select(func.count()).select_from(AuditEntryRow)):
        # Under READ COMMITTED a concurrent first writer may commit the head and its entry
        # between the two statements above; its head is then visible to a new select.
        head = _select_head(session)
        if head is not None:
            return head
        raise IntegrityError(
            "the audit chain head row is missing although the audit log contains entries; "
            "nothing was appended. Run `pmr audit verify` to see what was removed"
        )
    values = {"id": CHAIN_HEAD_ID, "seq": 0, "entry_hash": GENESIS_HASH}
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # A concurrent creator may win; DO NOTHING then waits for it and keeps its row.
    session.execute(dialect_insert(AuditChainHeadRow).values(values).on_conflict_do_nothing())
    created = _select_head(session)
    assert created is not None
    return created


def _select_head(session: Session) -> tuple[int, str] | None:
    row = session.execute(
        select(AuditChainHeadRow.seq, AuditChainHeadRow.entry_hash)
        .where(AuditChainHeadRow.id == CHAIN_HEAD_ID)
        .with_for_update()
    ).one_or_none()
    return None if row is None else (int(row[0]), str(row[1]))


def _check(event: AuditEvent) -> None:
    limits = {"actor": 320, "action": 64, "target_id": 200}
    for name, limit in limits.items():
        value = getattr(event, name)
        if not value or len(value) > limit:
            raise InvalidData(
                f"audit {name} {value!r} must have 1 to {limit} characters; nothing was appended"
            )
    try:
        round_trip = json.loads(json.dumps(dict(event.detail), allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InvalidData(
            f"audit detail of {event.action} is not plain JSON ({error}); pass strings, "
            "numbers, booleans, lists and objects"
        ) from error
    if round_trip != dict(event.detail):
        raise InvalidData(
            f"audit detail of {event.action} changes through JSON (tuples or non-string "
            "keys?); pass lists and string keys"
        )


def _content(
    event: AuditEvent, seq: int, recorded_at: datetime, previous_hash: str
) -> EntryContent:
    return EntryContent(
        seq=seq,
        recorded_at=recorded_at,
        actor=event.actor,
        action=event.action,
        target_type=event.target_type.value,
        target_id=event.target_id,
        report_id=event.report_id,
        detail=dict(event.detail),
        before_hash=event.before_hash,
        after_hash=event.after_hash,
        previous_hash=previous_hash,
    )


def _content_of(entry: AuditEntry) -> EntryContent:
    return EntryContent(
        seq=entry.seq,
        recorded_at=entry.recorded_at,
        actor=entry.actor,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        report_id=entry.report_id,
        detail=entry.detail,
        before_hash=entry.before_hash,
        after_hash=entry.after_hash,
        previous_hash=entry.previous_hash,
    )


def _entry(content: EntryContent, entry_hash: str) -> AuditEntry:
    return AuditEntry(
        seq=content.seq,
        recorded_at=content.recorded_at,
        actor=content.actor,
        action=content.action,
        target_type=content.target_type,
        target_id=content.target_id,
        report_id=content.report_id,
        detail=dict(content.detail),
        before_hash=content.before_hash,
        after_hash=content.after_hash,
        previous_hash=content.previous_hash,
        entry_hash=entry_hash,
    )


def _row(entry: AuditEntry) -> AuditEntryRow:
    return AuditEntryRow(
        seq=entry.seq,
        recorded_at=entry.recorded_at,
        actor=entry.actor,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        report_id=entry.report_id,
        detail=entry.detail,
        before_hash=entry.before_hash,
        after_hash=entry.after_hash,
        previous_hash=entry.previous_hash,
        entry_hash=entry.entry_hash,
    )


def _from_row(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        recorded_at=row.recorded_at,
        actor=row.actor,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        report_id=row.report_id,
        detail=dict(row.detail),
        before_hash=row.before_hash,
        after_hash=row.after_hash,
        previous_hash=row.previous_hash,
        entry_hash=row.entry_hash,
    )
