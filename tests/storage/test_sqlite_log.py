"""SqliteUpdateLog writes the rows ReportRepository.append_updates writes, faster."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from schedules.model import ImportResult
from storage import (
    Database,
    NotFound,
    ProjectRepository,
    ReportRepository,
    SqliteUpdateLog,
    StorageError,
)
from storage.models import ReportRow, ReportUpdateRow
from tests.storage.conftest import _reset


@pytest.fixture
def database(sqlite_database: Database) -> Iterator[Database]:
    yield sqlite_database
    _reset(sqlite_database)


@pytest.fixture
def report_id(database: Database, sample_result: ImportResult) -> uuid.UUID:
    project_id = ProjectRepository(database).add(sample_result, filename="sample.json")
    return ReportRepository(database).create(project_id, title="May", report_month="2024-05").id


@pytest.fixture
def log(database: Database) -> Iterator[SqliteUpdateLog]:
    appender = SqliteUpdateLog(database)
    yield appender
    appender.close()


def test_appends_continue_the_repository_numbering(
    database: Database, report_id: uuid.UUID, log: SqliteUpdateLog
) -> None:
    repository = ReportRepository(database)
    repository.append_updates(report_id, [b"a"])

    second = log.append(report_id, [b"b", b"\x00\xff"])
    third = repository.append_updates(report_id, [b"c"])
    fourth = log.append(report_id, [b"d"])

    assert (second, third, fourth) == (3, 4, 5)
    stored = repository.load(report_id)
    assert stored.updates == [(1, b"a"), (2, b"b"), (3, b"\x00\xff"), (4, b"c"), (5, b"d")]


def test_rows_read_back_like_repository_rows(
    database: Database, report_id: uuid.UUID, log: SqliteUpdateLog
) -> None:
    before = ReportRepository(database).get(report_id).last_modified

    log.append(report_id, [b"edit"])

    with database.session() as session:
        row = session.execute(select(ReportUpdateRow)).scalar_one()
        assert row.report_id == report_id
        assert row.created_at.tzinfo is not None
    after = ReportRepository(database).get(report_id).last_modified
    assert after >= before
    assert after.tzinfo is not None


def test_unknown_report_raises_not_found(database: Database, log: SqliteUpdateLog) -> None:
    with pytest.raises(NotFound):
        log.append(uuid.uuid4(), [b"x"])


def test_failed_append_keeps_nothing(
    database: Database, report_id: uuid.UUID, log: SqliteUpdateLog
) -> None:
    log.append(report_id, [b"a", b"b"])
    # Lower the counter, so that the next append collides with a stored seq.
    with database.session() as session:
        session.execute(update(ReportRow).where(ReportRow.id == report_id).values(last_seq=1))

    with pytest.raises(StorageError, match="rejected an update log append"):
        log.append(report_id, [b"c", b"d"])

    stored = ReportRepository(database).load(report_id)
    assert stored.updates == [(1, b"a"), (2, b"b")]
    assert ReportRepository(database).get(report_id) is not None
    with database.session() as session:
        last_seq = session.execute(
            select(ReportRow.last_seq).where(ReportRow.id == report_id)
        ).scalar_one()
    assert last_seq == 1


def test_in_memory_database_is_refused() -> None:
    with Database("sqlite://") as database:
        assert not SqliteUpdateLog.suits(database)
        with pytest.raises(ValueError, match="not a SQLite database file"):
            SqliteUpdateLog(database)


def test_append_after_close_raises_storage_error(database: Database, report_id: uuid.UUID) -> None:
    log = SqliteUpdateLog(database)
    log.close()

    with pytest.raises(StorageError, match="closed"):
        log.append(report_id, [b"late"])
    log.close()

    assert ReportRepository(database).load(report_id).updates == []


def test_appends_leave_log_to_checkpoint(
    database: Database, log: SqliteUpdateLog, report_id: uuid.UUID
) -> None:
    # Enough appends that SQLite would copy the log into the file in one of their commits
    # (at 1,000 pages) if the connection still checkpointed on its own. A commit that did
    # would let the next append restart the log, leaving far fewer frames in it.
    for index in range(400):
        log.append(report_id, [bytes([index % 256]) * 3000])
    appended = log.appended_since_checkpoint

    frames, copied = log.checkpoint()

    assert appended == 400
    assert frames > 1000
    assert copied == frames
    assert log.appended_since_checkpoint == 0
    assert len(ReportRepository(database).load(report_id).updates) == 400
