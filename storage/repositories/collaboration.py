"""Storage of collaboration sessions and of the log of who changed what in a report."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, insert, select, update

from storage.database import Database
from storage.errors import InvalidData
from storage.models import CollaborationSessionRow, ReportChangeRow
from storage.models.base import utc_now
from storage.repositories.users import normalise_email

logger = logging.getLogger(__name__)

_CHANGES_LISTED = 500


class Permission(StrEnum):
    """What a participant may do, each including the ones before it."""

    VIEW = "view"
    COMMENT = "comment"
    EDIT = "edit"

    def includes(self, other: Permission) -> bool:
        order = list(Permission)
        return order.index(self) >= order.index(other)


@dataclass(frozen=True, slots=True)
class CollaborationSession:
    report_id: uuid.UUID
    session_id: uuid.UUID
    session_type: str
    permissions: Mapping[str, Permission]
    started_by: str
    started_at: datetime
    last_activity: datetime

    def permission_of(self, email: str) -> Permission | None:
        return self.permissions.get(normalise_email(email))

    def permission_for(self, email: str, is_admin: bool) -> Permission | None:
        """Return the permission this session gives a user, or None when it leaves them out.

        Participants get their listed permission, and admins whom the list leaves out edit.
        """
        permission = self.permission_of(email)
        if permission is None and is_admin:
            return Permission.EDIT
        return permission


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    user_id: str
    section_id: str | None
    change_type: str
    detail: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """A change to log: who, which section (None for the whole report), what kind."""

    user_id: str
    section_id: str | None
    change_type: str
    detail: str = ""


class CollaborationRepository:
    def __init__(self, database: Database) -> None:
        self._database = database

    def start(
        self,
        report_id: uuid.UUID,
        *,
        session_type: str,
        permissions: Mapping[str, str],
        started_by: str,
    ) -> CollaborationSession:
        """Start the report's session, replacing an earlier one and its permissions.

        Raises:
            InvalidData: an email address or a permission is invalid.
        """
        checked: dict[str, str] = {}
        for email, permission in permissions.items():
            if permission not in Permission._value2member_map_:
                raise InvalidData(
                    f"permission {permission!r} of {email} is invalid; use edit, comment or view"
                )
            checked[normalise_email(email)] = permission
        now = utc_now()
        with self._database.session() as session:
            session.execute(
                delete(CollaborationSessionRow).where(
                    CollaborationSessionRow.report_id == report_id
                )
            )
            session.execute(
                insert(CollaborationSessionRow).values(
                    report_id=report_id,
                    session_id=uuid.uuid4(),
                    session_type=session_type,
                    permissions=checked,
                    started_by=started_by,
                    started_at=now,
                    last_activity=now,
                )
            )
        logger.info("collaboration session of report %s started by %s", report_id, started_by)
        started = self.get(report_id)
        assert started is not None
        return started

    def get(self, report_id: uuid.UUID) -> CollaborationSession | None:
        with self._database.session() as session:
            row = session.get(CollaborationSessionRow, report_id)
            return None if row is None else _session(row)

    def closed_to(
        self, report_ids: Iterable[uuid.UUID], email: str | None, *, is_admin: bool = False
    ) -> set[uuid.UUID]:
        """Return the reports among ``report_ids`` whose session leaves the user out.

        With ``email`` None, every report that has a session counts as closed.
        """
        listed = list(report_ids)
        if not listed:
            return set()
        query = select(CollaborationSessionRow).where(
            CollaborationSessionRow.report_id.in_(listed)
        )
        with self._database.session() as session:
            sessions = [_session(row) for row in session.scalars(query)]
        return {
            found.report_id
            for found in sessions
            if email is None or found.permission_for(email, is_admin) is None
        }

    def log(self, report_id: uuid.UUID, changes: Sequence[Change]) -> datetime | None:
        """Append changes to the report's log and mark the session active now.

        Returns the time stored as their ``changed_at`` and the session's ``last_activity``,
        or None when ``changes`` is empty and nothing was stored.
        """
        if not changes:
            return None
        now = utc_now()
        rows = [
            {
                "report_id": report_id,
                "user_id": change.user_id,
                "section_id": change.section_id,
                "change_type": change.change_type,
                "detail": change.detail,
                "changed_at": now,
            }
            for change in changes
        ]
        with self._database.session() as session:
            session.execute(insert(ReportChangeRow), rows)
            session.execute(
                update(CollaborationSessionRow)
                .where(CollaborationSessionRow.report_id == report_id)
                .values(last_activity=now)
            )
        return now

    def changes(self, report_id: uuid.UUID, *, limit: int = _CHANGES_LISTED) -> list[ChangeRecord]:
        """Return the newest ``limit`` changes, oldest first."""
        query = (
            select(ReportChangeRow)
            .where(ReportChangeRow.report_id == report_id)
            .order_by(ReportChangeRow.id.desc())
            .limit(limit)
        )
        with self._database.session() as session:
            rows = session.scalars(query).all()
            records = [
                ChangeRecord(
                    user_id=row.user_id,
                    section_id=row.section_id,
                    change_type=row.change_type,
                    detail=row.detail,
                    changed_at=row.changed_at,
                )
                for row in rows
            ]
        return list(reversed(records))


def _session(row: CollaborationSessionRow) -> CollaborationSession:
    return CollaborationSession(
        report_id=row.report_id,
        session_id=row.session_id,
        session_type=row.session_type,
        permissions={email: Permission(value) for email, value in row.permissions.items()},
        started_by=row.started_by,
        started_at=row.started_at,
        last_activity=row.last_activity,
    )
