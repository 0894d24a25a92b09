"""The database connection of a schedule import terminated in the middle of its transaction.

The test holds a lock on the relationships table, so the import stops after it has
written the project and its activities but before its relationships. The test then ends
the import's PostgreSQL backend with pg_terminate_backend and releases the lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import Connection, create_engine, text

from schedules import sample_project_bytes
from tests.faults.conftest import problem_of

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server

WAIT_SECONDS = 60.0
IMPORT_TABLES = (
    "projects",
    "calendars",
    "wbs_nodes",
    "activities",
    "relationships",
    "resources",
    "assignments",
    "risks",
    "monthly_actuals",
)


@pytest.fixture
def admin(server: Server) -> Iterator[Connection]:
    """A connection to the server's schema, outside the server."""
    engine = create_engine(server.settings.sqlalchemy_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def row_counts(connection: Connection) -> dict[str, int]:
    counts = {}
    for table in IMPORT_TABLES:
        counts[table] = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    connection.commit()
    return counts


def blocked_insert(connection: Connection) -> int:
    """Wait for the backend whose insert into relationships waits on a lock; return its pid."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        pid = connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query ILIKE 'INSERT INTO relationships%' AND pid <> pg_backend_pid()"
            )
        ).scalar_one_or_none()
        connection.commit()
        if pid is not None:
            return int(pid)
        # NOTE: PostgreSQL has no notification for a backend starting to wait; this polls.
        time.sleep(0.05)
    raise AssertionError(f"no import waited on the relationships lock within {WAIT_SECONDS} s")


def post_import(server: Server) -> httpx.Response:
    files = {"file": ("sample.json", sample_project_bytes())}
    return server.pm.post("/api/projects/import", files=files)


def test_import_connection_killed_stores_nothing(server: Server, admin: Connection) -> None:
    before = row_counts(admin)
    locker = create_engine(server.settings.sqlalchemy_url).connect()
    locker.execute(text("LOCK TABLE relationships IN ACCESS EXCLUSIVE MODE"))
    answers: list[httpx.Response] = []
    importing = threading.Thread(target=lambda: answers.append(post_import(server)))

    importing.start()
    backend = blocked_insert(admin)
    terminated = admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    terminated_ok = terminated.scalar_one()
    admin.commit()
    locker.rollback()
    locker.close()
    importing.join(timeout=WAIT_SECONDS)
    after_failure = row_counts(admin)
    retried = post_import(server)
    after_retry = row_counts(admin)
    problem = problem_of(answers[0])

    assert terminated_ok is True
    assert answers[0].status_code == 503
    assert problem["code"] == "database_unavailable"
    assert "is unavailable" in problem["detail"]
    assert "PMR_DATABASE_URL" in problem["detail"]
    assert after_failure == before
    assert retried.status_code == 201, retried.text
    assert after_retry["projects"] == before["projects"] + 1
    assert after_retry["activities"] - before["activities"] == retried.json()["activities"]
    assert (
        after_retry["relationships"] - before["relationships"] == (retried.json()["relationships"])
    )
