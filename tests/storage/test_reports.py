"""ReportRepository on both backends: report metadata and the document's update log."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest

from schedules.model import ImportResult
from storage import (
    EXECUTIVE_TEMPLATE_ID,
    Conflict,
    Database,
    IntegrityError,
    InvalidData,
    NotFound,
    ProjectRepository,
    ReportRepository,
    ReportStatus,
)


@pytest.fixture
def project_id(database: Database, sample_result: ImportResult) -> uuid.UUID:
    return ProjectRepository(database).add(sample_result, filename="sample.json")


@pytest.fixture
def report_id(database: Database, project_id: uuid.UUID) -> uuid.UUID:
    return (
        ReportRepository(database).create(project_id, title="January", report_month="2024-01").id
    )


def test_create_starts_generating_at_version_zero(
    database: Database, project_id: uuid.UUID
) -> None:
    repository = ReportRepository(database)

    created = repository.create(
        project_id,
        title="Monthly report",
        report_month="2024-01",
        description="Status at the end of January",
        template_id=EXECUTIVE_TEMPLATE_ID,
        created_by="pm@example.com",
    )
    loaded = repository.get(created.id)

    assert loaded == created
    assert loaded.status is ReportStatus.GENERATING
    assert loaded.version == 0
    assert loaded.project_id == project_id
    assert loaded.template_id == EXECUTIVE_TEMPLATE_ID
    assert loaded.created_by == "pm@example.com"
    assert loaded.description == "Status at the end of January"
    assert loaded.generated_at is None
    assert loaded.summary == {}
    assert loaded.created_at.tzinfo is UTC


def test_create_without_description_stores_empty_text(
    database: Database, project_id: uuid.UUID
) -> None:
    created = ReportRepository(database).create(
        project_id, title="t", report_month="2024-01", description=None
    )

    assert created.description == ""


def test_create_rejects_malformed_month(database: Database, project_id: uuid.UUID) -> None:
    with pytest.raises(InvalidData, match="'2024-1'"):
        ReportRepository(database).create(project_id, title="x", report_month="2024-1")


def test_create_for_unknown_project_raises_integrity_error(database: Database) -> None:
    with pytest.raises(IntegrityError):
        ReportRepository(database).create(uuid.uuid4(), title="x", report_month="2024-01")


def test_complete_raises_version_and_stores_summary(
    database: Database, report_id: uuid.UUID
) -> None:
    repository = ReportRepository(database)
    summary = {"cpi": 0.97, "spi": 1.02, "alerts": ["late milestone"]}

    first = repository.complete(report_id, summary=summary)
    second = repository.complete(report_id, summary={"cpi": 0.99})

    assert first.status is ReportStatus.COMPLETED
    assert first.version == 1
    assert first.summary == summary
    assert first.generated_at is not None
    assert second.version == 2
    assert repository.get(report_id) == second


def test_set_status_failed_keeps_error(database: Database, report_id: uuid.UUID) -> None:
    repository = ReportRepository(database)

    failed = repository.set_status(report_id, ReportStatus.FAILED, error="simulation timed out")
    retried = repository.set_status(report_id, ReportStatus.GENERATING)

    assert failed.status is ReportStatus.FAILED
    assert failed.error == "simulation timed out"
    assert retried.status is ReportStatus.GENERATING
    assert retried.error is None


@pytest.mark.parametrize(
    ("status", "error"),
    [(ReportStatus.FAILED, None), (ReportStatus.COMPLETED, "stray message")],
    ids=["failed-without-error", "completed-with-error"],
)
def test_set_status_rejects_mismatched_error(
    database: Database, report_id: uuid.UUID, status: ReportStatus, error: str | None
) -> None:
    with pytest.raises(InvalidData):
        ReportRepository(database).set_status(report_id, status, error=error)


def test_touch_sets_version_and_last_modified(database: Database, report_id: uuid.UUID) -> None:
    repository = ReportRepository(database)
    moment = datetime(2024, 2, 1, 9, 30, tzinfo=UTC)

    touched = repository.touch(report_id, version=7, last_modified=moment)

    assert touched.version == 7
    assert touched.last_modified == moment
    assert repository.get(report_id).last_modified == moment


def test_touch_rejects_naive_datetime(database: Database, report_id: uuid.UUID) -> None:
    with pytest.raises(InvalidData, match="no time zone"):
        ReportRepository(database).touch(report_id, last_modified=datetime(2024, 2, 1, 9, 30))


def test_list_for_project_returns_newest_first(database: Database, project_id: uuid.UUID) -> None:
    repository = ReportRepository(database)
    january = repository.create(project_id, title="January", report_month="2024-01")
    february = repository.create(project_id, title="February", report_month="2024-02")

    listed = repository.list_for_project(project_id)

    assert [report.id for report in listed] == [february.id, january.id]
    assert repository.list_for_project(uuid.uuid4()) == []


def test_get_unknown_report_raises_not_found(database: Database) -> None:
    with pytest.raises(NotFound, match="report"):
        ReportRepository(database).get(uuid.uuid4())


def test_append_updates_numbers_from_one(database: Database, report_id: uuid.UUID) -> None:
    repository = ReportRepository(database)

    first_batch = repository.append_updates(report_id, [b"a", b"b", b"c"])
    second_batch = repository.append_updates(report_id, [b"\x00\xff"])
    empty_batch = repository.append_updates(report_id, [])
    stored = repository.load(report_id)

    assert first_batch == 3
    assert second_batch == 4
    assert empty_batch == 4
    assert stored.snapshot is None
    assert stored.updates == [(1, b"a"), (2, b"b"), (3, b"c"), (4, b"\x00\xff")]


def test_append_updates_sets_last_modified(database: Database, report_id: uuid.UUID) -> None:
    repository = ReportRepository(database)
    before = repository.get(report_id).last_modified

    repository.append_updates(report_id, [b"edit"])

    assert repository.get(report_id).last_modified >= before


def test_append_updates_to_unknown_report_raises_not_found(database: Database) -> None:
    with pytest.raises(NotFound):
        ReportRepository(database).append_updates(uuid.uuid4(), [b"x"])


def test_load_empty_report_returns_nothing(database: Database, report_id: uuid.UUID) -> None:
    snapshot, updates = ReportRepository(database).load(report_id)

    assert snapshot is None
    assert updates == []


def test_compact_replaces_merged_rows_with_snapshot(
    database: Database, report_id: uuid.UUID
) -> None:
    repository = ReportRepository(database)
    repository.append_updates(report_id, [b"u1", b"u2", b"u3", b"u4"])

    repository.compact(report_id, b"merged-1..3", 3)
    stored = repository.load(report_id)

    assert stored.snapshot == b"merged-1..3"
    assert stored.updates == [(4, b"u4")]


def test_compact_twice_keeps_newest_snapshot(database: Database, report_id: uuid.UUID) -> None:
    repository = ReportRepository(database)
    repository.append_updates(report_id, [b"u1", b"u2"])
    repository.compact(report_id, b"merged-1..2", 2)
    repository.append_updates(report_id, [b"u3", b"u4"])

    repository.compact(report_id, b"merged-1..4", 4)
    after_compaction = repository.load(report_id)
    last = repository.append_updates(report_id, [b"u5"])

    assert after_compaction.snapshot == b"merged-1..4"
    assert after_compaction.updates == []
    assert last == 5
    assert repository.load(report_id).updates == [(5, b"u5")]


@pytest.mark.parametrize("up_to_seq", [1, 9], ids=["behind-snapshot", "ahead-of-log"])
def test_compact_rejects_seq_outside_log(
    database: Database, report_id: uuid.UUID, up_to_seq: int
) -> None:
    repository = ReportRepository(database)
    repository.append_updates(report_id, [b"u1", b"u2", b"u3"])
    repository.compact(report_id, b"merged-1..2", 2)

    with pytest.raises(Conflict, match=f"seq {up_to_seq}"):
        repository.compact(report_id, b"bad", up_to_seq)

    assert repository.load(report_id) == (b"merged-1..2", [(3, b"u3")])


def test_concurrent_appends_get_unique_increasing_seqs(
    database: Database, report_id: uuid.UUID
) -> None:
    repository = ReportRepository(database)
    writers, batches, batch_size = 6, 10, 3
    barrier = threading.Barrier(writers)
    returned: dict[int, list[int]] = {writer: [] for writer in range(writers)}
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            barrier.wait()
            for batch in range(batches):
                updates = [f"{writer}:{batch}:{i}".encode() for i in range(batch_size)]
                returned[writer].append(repository.append_updates(report_id, updates))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _, stored = repository.load(report_id)

    assert errors == []
    total = writers * batches * batch_size
    assert [seq for seq, _ in stored] == list(range(1, total + 1))
    for writer, last_seqs in returned.items():
        assert last_seqs == sorted(last_seqs), f"writer {writer} saw seqs go backwards"
        own = [data.decode() for _, data in stored if data.startswith(f"{writer}:".encode())]
        expected = [f"{writer}:{b}:{i}" for b in range(batches) for i in range(batch_size)]
        assert own == expected, f"writer {writer}'s updates are out of order"
    # Each batch is stored contiguously: its last seq is a multiple of the batch size.
    assert all(seq % batch_size == 0 for seqs in returned.values() for seq in seqs)
