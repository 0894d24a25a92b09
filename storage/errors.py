"""Errors raised by the storage package, translated from SQLAlchemy and the drivers.

Every error keeps its fields through pickling, because repositories run inside Ray
workers and their errors travel back to the caller.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

# SQLSTATE class 23 code for a unique or primary key violation (PostgreSQL, psycopg 3).
_UNIQUE_VIOLATION = "23505"
_SQLITE_UNIQUE_CODES = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


class StorageError(Exception):
    """Base class of every error raised by the storage package."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[type[StorageError], tuple[object, ...]]:
        return (type(self), (self.message,))


class NotFound(StorageError):
    """A row looked up by its key does not exist."""

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key} not found; check the id")
        self.entity = entity
        self.key = key

    def __reduce__(self) -> tuple[type[StorageError], tuple[object, ...]]:
        return (type(self), (self.entity, self.key))


class Conflict(StorageError):
    """A write contradicts stored state: a duplicate key or a forbidden status change."""


class IntegrityError(StorageError):
    """The database rejected a write that breaks a constraint; nothing of it was stored."""


class InvalidData(StorageError):
    """Input to a repository is inconsistent, so it was rejected before anything was written."""


class Unavailable(StorageError):
    """The database could not be reached or timed out."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(
            f"database {url} is unavailable: {detail}; check that the server is running "
            "and that PMR_DATABASE_URL points to it"
        )
        self.url = url
        self.detail = detail

    def __reduce__(self) -> tuple[type[StorageError], tuple[object, ...]]:
        return (type(self), (self.url, self.detail))


def _first_line(error: BaseException | None) -> str:
    if error is None:
        return "no detail given"
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _is_unique_violation(error: sa_exc.IntegrityError) -> bool:
    cause = error.orig
    if getattr(cause, "sqlstate", None) == _UNIQUE_VIOLATION:
        return True
    if isinstance(cause, sqlite3.IntegrityError):
        return getattr(cause, "sqlite_errorname", "") in _SQLITE_UNIQUE_CODES
    return False


@contextmanager
def translated_errors(url: str) -> Iterator[None]:
    """Re-raise SQLAlchemy and driver errors as storage errors with the cause chained.

    ``url`` names the database in messages and must not contain a password.
    """
    try:
        yield
    except sa_exc.IntegrityError as error:
        detail = _first_line(error.orig)
        if _is_unique_violation(error):
            raise Conflict(f"duplicate key rejected, nothing was stored: {detail}") from error
        raise IntegrityError(f"constraint violated, nothing was stored: {detail}") from error
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as error:
        raise Unavailable(url, _first_line(error.orig)) from error
    except (sa_exc.TimeoutError, sa_exc.DisconnectionError) as error:
        raise Unavailable(url, _first_line(error)) from error
    except sa_exc.DBAPIError as error:
        raise StorageError(
            f"database {url} rejected a statement: {_first_line(error.orig)}"
        ) from (error)
    except sa_exc.SQLAlchemyError as error:
        raise StorageError(f"database {url} failed: {_first_line(error)}") from error
