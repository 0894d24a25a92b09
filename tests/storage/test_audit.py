"""The audit chain on SQLite and PostgreSQL: appends, listing, tampering, concurrent writers."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import uuid

import pytest
from sqlalchemy import delete, select, update

from storage import (
    AuditEvent,
    AuditRepository,
    AuditTarget,
    Database,
    IntegrityError,
    InvalidData,
    content_hash,
)
from storage.models import AuditChainHeadRow, AuditEntryRow
from storage.repositories.audit_chain import ProblemKind

REPORT = uuid.UUID("00000000-0000-0000-0000-00000000aaaa")
OTHER_REPORT = uuid.UUID("00000000-0000-0000-0000-00000000bbbb")


def section_edit(index: int, report_id: uuid.UUID = REPORT) -> AuditEvent:
    return AuditEvent(
        actor=f"user{index}@example.com",
        action="section_updated",
        target_type=AuditTarget.SECTION,
        target_id="executive_summary",
        report_id=report_id,
        before_hash=content_hash(f"text {index}"),
        after_hash=content_hash(f"text {index + 1}"),
        detail={"strategy": "merge", "index": index},
    )


def append_edits(database: Database, count: int) -> None:
    repository = AuditRepository(database)
    for index in range(count):
        repository.append([section_edit(index)])


def test_content_hash_is_sha256_of_utf8_text() -> None:
    digest = content_hash("abc")

    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert content_hash("é") == hashlib.sha256("é".encode()).hexdigest()


def test_content_hash_of_json_ignores_key_order() -> None:
    assert content_hash({"b": 1, "a": [1, 2]}) == content_hash({"a": [1, 2], "b": 1})


def test_append_links_each_entry_to_the_previous(database: Database) -> None:
    repository = AuditRepository(database)

    first = repository.append([section_edit(0)])
    second = repository.append([section_edit(1), section_edit(2)])

    entries = first + second
    assert [entry.seq for entry in entries] == [1, 2, 3]
    assert entries[0].previous_hash == "0" * 64
    assert entries[1].previous_hash == entries[0].entry_hash
    assert entries[2].previous_hash == entries[1].entry_hash
    assert repository.verify().intact


def test_stored_entries_read_back_as_appended(database: Database) -> None:
    repository = AuditRepository(database)
    appended = repository.append([section_edit(7)])

    listed = repository.for_report(REPORT)

    assert listed == appended
    assert listed[0].detail == {"strategy": "merge", "index": 7}
    assert listed[0].recorded_at.tzinfo is not None


def test_for_report_lists_only_that_report_in_pages(database: Database) -> None:
    repository = AuditRepository(database)
    repository.append([section_edit(0), section_edit(1, OTHER_REPORT), section_edit(2)])
    repository.append([section_edit(3)])

    first_page = repository.for_report(REPORT, limit=2)
    second_page = repository.for_report(REPORT, after_seq=first_page[-1].seq, limit=2)

    assert [entry.seq for entry in first_page] == [1, 3]
    assert [entry.seq for entry in second_page] == [4]
    assert repository.for_report(OTHER_REPORT)[0].seq == 2


def test_verify_of_empty_log_is_intact(database: Database) -> None:
    verdict = AuditRepository(database).verify()

    assert verdict.intact
    assert verdict.entries == 0
    assert verdict.last_seq == 0


def test_verify_names_changed_entry(database: Database) -> None:
    append_edits(database, 5)
    with database.session() as session:
        session.execute(
            update(AuditEntryRow).where(AuditEntryRow.seq == 3).values(actor="mallory@example.com")
        )

    verdict = AuditRepository(database).verify()

    assert not verdict.intact
    assert [(problem.seq, problem.kind) for problem in verdict.problems] == [
        (3, ProblemKind.CHANGED)
    ]
    assert "entry 3 (section_updated on section executive_summary by mallory@example.com)" in (
        verdict.problems[0].message
    )


def test_verify_names_changed_and_rehashed_entry(database: Database) -> None:
    append_edits(database, 4)
    with database.session() as session:
        session.execute(
            update(AuditEntryRow).where(AuditEntryRow.seq == 2).values(entry_hash="f" * 64)
        )

    verdict = AuditRepository(database).verify()

    kinds = [(problem.seq, problem.kind) for problem in verdict.problems]
    assert (2, ProblemKind.CHANGED) in kinds
    assert (3, ProblemKind.RELINKED) in kinds


def test_verify_names_deleted_entry(database: Database) -> None:
    append_edits(database, 6)
    with database.session() as session:
        session.execute(delete(AuditEntryRow).where(AuditEntryRow.seq.in_([3, 4])))

    verdict = AuditRepository(database).verify()

    assert [(problem.seq, problem.kind) for problem in verdict.problems] == [
        (3, ProblemKind.MISSING)
    ]
    assert verdict.problems[0].message == "entries 3 to 4 are missing: deleted from the log"


def test_verify_names_entry_deleted_from_the_end(database: Database) -> None:
    append_edits(database, 3)
    with database.session() as session:
        session.execute(delete(AuditEntryRow).where(AuditEntryRow.seq == 3))

    verdict = AuditRepository(database).verify()

    assert [(problem.seq, problem.kind) for problem in verdict.problems] == [
        (3, ProblemKind.MISSING)
    ]
    assert "deleted from the end" in verdict.problems[0].message


def test_append_rejects_detail_that_is_not_json(database: Database) -> None:
    event = AuditEvent(
        actor="ann@example.com",
        action="section_updated",
        target_type=AuditTarget.SECTION,
        target_id="s",
        detail={"when": object()},
    )

    with pytest.raises(InvalidData, match="not plain JSON"):
        AuditRepository(database).append([section_edit(0), event])

    assert AuditRepository(database).verify().entries == 0


def test_append_recreates_missing_head_of_empty_log(database: Database) -> None:
    with database.session() as session:
        session.execute(delete(AuditChainHeadRow))

    entries = AuditRepository(database).append([section_edit(0)])

    assert entries[0].seq == 1
    assert AuditRepository(database).verify().intact


def test_append_refuses_missing_head_of_filled_log(database: Database) -> None:
    append_edits(database, 2)
    with database.session() as session:
        session.execute(delete(AuditChainHeadRow))

    with pytest.raises(IntegrityError, match="chain head row is missing"):
        AuditRepository(database).append([section_edit(9)])

    with database.session() as session:
        assert session.scalars(select(AuditEntryRow.seq)).all() == [1, 2]
    problems = AuditRepository(database).verify().problems
    assert [(problem.seq, problem.kind) for problem in problems] == [(2, ProblemKind.HEAD)]


_WRITER = textwrap.dedent(
    """
    import sys, uuid
    from storage import AuditEvent, AuditRepository, AuditTarget, Database
    url, writer, batches = sys.argv[1], sys.argv[2], int(sys.argv[3])
    database = Database(url)
    repository = AuditRepository(database)
    for batch in range(batches):
        repository.append([
            AuditEvent(
                actor=f"{writer}@example.com",
                action="section_updated",
                target_type=AuditTarget.SECTION,
                target_id=f"{writer}-{batch}-{part}",
                report_id=uuid.UUID(int=1),
            )
            for part in range(2)
        ])
    database.dispose()
    """
)


def test_concurrent_writer_processes_keep_one_chain(database: Database) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    writers = [f"writer{index}" for index in range(4)]
    batches = 25

    processes = [
        subprocess.Popen([sys.executable, "-c", _WRITER, url, writer, str(batches)])
        for writer in writers
    ]
    codes = [process.wait(timeout=300) for process in processes]

    verdict = AuditRepository(database).verify()
    with database.session() as session:
        targets = session.scalars(select(AuditEntryRow.target_id)).all()
    assert codes == [0, 0, 0, 0]
    assert verdict.intact, verdict.problems
    assert verdict.entries == len(writers) * batches * 2
    assert verdict.head_seq == verdict.entries
    assert sorted(targets) == sorted(
        f"{writer}-{batch}-{part}"
        for writer in writers
        for batch in range(batches)
        for part in range(2)
    )
