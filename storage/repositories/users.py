"""Storage of users: an email address and a role."""

from __future__ import annotations

import logging
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert, select

from storage.database import Database
from storage.errors import Conflict, InvalidData, NotFound
from storage.models import UserRow
from storage.models.base import utc_now

logger = logging.getLogger(__name__)


class UserRole(StrEnum):
    ADMIN = "admin"
    PROJECT_MANAGER = "project_manager"
    EDITOR = "editor"
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: uuid.UUID
    email: str
    role: UserRole
    created_at: datetime


def normalise_email(email: str) -> str:
    """Return ``email`` trimmed and lower-cased, the form in which users are stored."""
    normalised = email.strip().lower()
    local, at, domain = normalised.partition("@")
    if not (local and at and domain) or any(char.isspace() for char in normalised):
        raise InvalidData(f"email address {email!r} is invalid; expected name@domain")
    # Invisible characters (U+200B, controls, private use) would make an address that looks
    # like another user's but that no token names. An unpaired surrogate, which a JSON
    # escape such as \ud800 decodes to, cannot even be encoded in a response.
    hidden = sorted({ord(char) for char in normalised if unicodedata.category(char)[0] == "C"})
    if hidden:
        points = ", ".join(f"U+{point:04X}" for point in hidden)
        raise InvalidData(
            f"email address {email!r} is invalid: it contains control, format or unpaired "
            f"surrogate characters ({points})"
        )
    return normalised


class UserRepository:
    """Finds users by email address and creates them on first sight."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def get_or_create(self, email: str, role: UserRole) -> UserRecord:
        """Return the user with ``email``, creating it with ``role`` if it does not exist.

        An existing user keeps the role it has; ``role`` only applies to a new user.
        """
        address = normalise_email(email)
        existing = self._find(address)
        if existing is not None:
            return existing
        user_id = uuid.uuid4()
        values = {"id": user_id, "email": address, "role": role.value, "created_at": utc_now()}
        try:
            with self._database.session() as session:
                session.execute(insert(UserRow), [values])
        except Conflict:
            # Another request created the same user between the lookup and the insert.
            return self.get_by_email(address)
        logger.info("created user %s with role %s", user_id, role.value)
        return self.get(user_id)

    def get_by_email(self, email: str) -> UserRecord:
        """Return the user with ``email`` (compared case-insensitively)."""
        address = normalise_email(email)
        record = self._find(address)
        if record is None:
            raise NotFound("user", address)
        return record

    def get(self, user_id: uuid.UUID) -> UserRecord:
        """Return the user with ``user_id``."""
        with self._database.session() as session:
            row = session.get(UserRow, user_id)
            if row is None:
                raise NotFound("user", user_id)
            return _record(row)

    def _find(self, address: str) -> UserRecord | None:
        with self._database.session() as session:
            row = session.scalars(select(UserRow).where(UserRow.email == address)).one_or_none()
            return None if row is None else _record(row)


def _record(row: UserRow) -> UserRecord:
    return UserRecord(
        id=row.id, email=row.email, role=UserRole(row.role), created_at=row.created_at
    )
