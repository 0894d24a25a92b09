"""The report actor's audit trail without Ray: coalesced live edits, direct changes, retries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from actors.audit_trail import AuditTrail, document_hash
from crdt import ReportDocument
from storage import AuditRepository, Database, content_hash

REPORT = uuid.UUID("00000000-0000-0000-0000-0000000000d1")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    database.migrate()
    yield database
    database.dispose()


def new_document() -> ReportDocument:
    document = ReportDocument()
    document.put_section("summary", title="Summary", body="On plan.", order=0)
    document.put_section("risks", title="Risks", body="None.", order=1)
    return document


def type_live(
    trail: AuditTrail, document: ReportDocument, user: str, section_id: str, text: str
) -> None:
    """Append ``text`` one character per update, as a Yjs client does while typing."""
    for character in text:
        context = trail.before(
            document, user=user, change_type="content_update", section_hint=None, live=True
        )
        body = document.section_map(section_id)["body"]
        body.insert(len(body), character)
        trail.after(document, context, {section_id}, set())


async def test_live_keystrokes_become_one_entry(database: Database) -> None:
    document = new_document()
    trail = AuditTrail(REPORT, AuditRepository(database), document)

    type_live(trail, document, "ann@example.com", "summary", " Still.")
    await trail.flush()

    entries = AuditRepository(database).for_report(REPORT)
    assert len(entries) == 1
    assert entries[0].action == "section_edited_live"
    assert entries[0].actor == "ann@example.com"
    assert entries[0].target_id == "summary"
    assert entries[0].before_hash == content_hash("On plan.")
    assert entries[0].after_hash == content_hash("On plan. Still.")
    assert entries[0].detail == {"updates": 7}


async def test_live_edits_coalesce_per_user_and_section(database: Database) -> None:
    document = new_document()
    trail = AuditTrail(REPORT, AuditRepository(database), document)

    type_live(trail, document, "ann@example.com", "summary", "ab")
    type_live(trail, document, "bob@example.com", "summary", "c")
    type_live(trail, document, "ann@example.com", "risks", "d")
    type_live(trail, document, "ann@example.com", "summary", "e")
    await trail.flush()

    entries = AuditRepository(database).for_report(REPORT)
    keys = sorted((entry.actor, entry.target_id, entry.detail["updates"]) for entry in entries)
    assert keys == [
        ("ann@example.com", "risks", 1),
        ("ann@example.com", "summary", 3),
        ("bob@example.com", "summary", 1),
    ]


async def test_direct_change_follows_open_live_window(database: Database) -> None:
    document = new_document()
    trail = AuditTrail(REPORT, AuditRepository(database), document)
    type_live(trail, document, "ann@example.com", "summary", "x")

    context = trail.before(
        document,
        user="pm@example.com",
        change_type="content_update",
        section_hint="risks",
        live=False,
    )
    document.update_section("risks", title=None, body="One risk.", metrics=None)
    trail.after(document, context, {"risks"}, set())
    await trail.flush()

    entries = AuditRepository(database).for_report(REPORT)
    assert [entry.action for entry in entries] == ["section_edited_live", "section_updated"]
    assert entries[1].actor == "pm@example.com"
    assert entries[1].before_hash == content_hash("None.")
    assert entries[1].after_hash == content_hash("One risk.")


async def test_report_change_hashes_whole_document(database: Database) -> None:
    document = new_document()
    trail = AuditTrail(REPORT, AuditRepository(database), document)
    before = document_hash(document)

    context = trail.before(
        document, user="simulation", change_type="monte_carlo", section_hint=None, live=False
    )
    document.set_monte_carlo({"budget_completion": {"p50": 1.0}})
    trail.after(document, context, set(), set())
    await trail.flush()

    entry = AuditRepository(database).for_report(REPORT)[0]
    assert entry.action == "monte_carlo"
    assert entry.target_type == "report"
    assert entry.before_hash == before
    assert entry.after_hash == document_hash(document)
    assert entry.before_hash != entry.after_hash


async def test_failed_append_is_retried_at_next_flush(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'late.sqlite3'}")
    document = new_document()
    trail = AuditTrail(REPORT, AuditRepository(database), document)
    type_live(trail, document, "ann@example.com", "summary", "!")

    await trail.flush()
    database.migrate()
    await trail.flush()

    entries = AuditRepository(database).for_report(REPORT)
    assert [entry.action for entry in entries] == ["section_edited_live"]
    assert entries[0].after_hash == content_hash("On plan.!")
    database.dispose()
