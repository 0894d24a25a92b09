"""When a ReportActor merges its update log and sends awareness changes, built in-process."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any

import pytest
from pycrdt import Doc, Map

from actors import collaboration, outbox, report_actor
from actors.outbox import Frame, Outgoing
from actors.report_actor import ReportActor
from config import Settings
from crdt import AwarenessEntry, decode_awareness
from crdt.protocol import (
    AwarenessMessage,
    awareness_frame,
    decode_message,
    sync_update,
    write_var_string,
    write_var_uint,
)
from storage import ReportRepository, StorageError
from tests.actors.conftest import stored_state


def stored(settings: Settings, report_id: uuid.UUID) -> tuple[bytes | None, int, dict[str, Any]]:
    """Return the stored snapshot, the number of log rows and the report they make."""
    snapshot, updates, document = stored_state(settings, report_id)
    return snapshot, len(updates), document


def typing(actor: ReportActor, text: str) -> bytes:
    """Return a Yjs client's sync update frame that types ``text`` into the risk section."""
    client: Doc[Any] = Doc()
    client.apply_update(actor._document.snapshot())
    before = client.get_state()
    client.get("sections", type=Map)["risk"]["body"].insert(0, text)
    return sync_update(client.get_update(before))


async def type_edits(actor: ReportActor, count: int, pause: float = 0.0) -> None:
    # A later batch types over the connection of the first, because ids are unique.
    if actor._connections.get("writer") is None:
        subscription = await actor.subscribe()
        await actor.connect(subscription, "writer", "bob@example.com", "edit", "binary")
    for number in range(count):
        assert await actor.receive("writer", typing(actor, f"{number} ")) == []
        await asyncio.sleep(pause)


@pytest.fixture
def short_housekeeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_actor, "_HOUSEKEEPING_SECONDS", 0.05)
    monkeypatch.setattr(report_actor, "COMPACT_AFTER_UPDATES", 5)


@pytest.fixture
def merge_at_cap_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the actor merge its log at 8 rows, and never because the report went quiet."""
    monkeypatch.setattr(report_actor, "COMPACT_QUIET_SECONDS", 3600.0)
    monkeypatch.setattr(report_actor, "COMPACT_ALWAYS_AFTER_UPDATES", 8)


@pytest.mark.usefixtures("short_housekeeping")
async def test_log_merges_once_report_is_quiet(
    actor: ReportActor,
    session_settings: Settings,
    new_report_id: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report_actor, "COMPACT_QUIET_SECONDS", 0.5)
    actor.start_housekeeping()
    _, rows_before, _ = stored(session_settings, new_report_id)

    # Edits 0.1 s apart for a second: housekeeping rounds pass, but the report is never quiet.
    await type_edits(actor, 10, pause=0.1)
    snapshot_while_editing, rows_while_editing, _ = stored(session_settings, new_report_id)
    await asyncio.sleep(1.5)
    snapshot, rows_after, document = stored(session_settings, new_report_id)

    assert snapshot_while_editing is None
    assert rows_while_editing == rows_before + 10
    assert snapshot is not None
    assert rows_after == 0
    assert document == await actor.read()
    risk = next(section for section in document["sections"] if section["section_id"] == "risk")
    assert risk["body"].startswith("9 8 7 6 5 4 3 2 1 0 ")


@pytest.mark.usefixtures("short_housekeeping", "merge_at_cap_only")
async def test_log_merges_at_cap_while_edits_continue(
    actor: ReportActor, session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    actor.start_housekeeping()

    await type_edits(actor, 4)
    await asyncio.sleep(0.3)
    _, rows_below_cap, _ = stored(session_settings, new_report_id)
    await type_edits(actor, 6)
    assert actor._compaction is not None
    await actor._compaction
    snapshot, rows_after, document = stored(session_settings, new_report_id)

    assert rows_below_cap >= 4
    assert snapshot is not None
    assert rows_after < rows_below_cap
    assert document == await actor.read()


def presence(client_id: int, clock: int, name: str) -> bytes:
    state = json.dumps({"user": {"name": name}})
    payload = write_var_uint(1) + write_var_uint(client_id) + write_var_uint(clock)
    return awareness_frame(payload + write_var_string(state))


def awareness_entries(frames: list[Any]) -> list[list[int]]:
    """Return the client ids of each awareness frame among ``frames``."""
    found = []
    for frame in frames:
        if not isinstance(frame, Frame) or not isinstance(frame.payload, bytes):
            continue
        message = decode_message(frame.payload)
        if isinstance(message, AwarenessMessage):
            found.append(sorted(entry.client_id for entry in decode_awareness(message.payload)))
    return found


async def test_quick_awareness_changes_merge(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collaboration, "AWARENESS_INTERVAL_SECONDS", 0.3)
    subscription = await actor.subscribe()
    for name in ("ann", "bob", "cat"):
        await actor.connect(subscription, name, f"{name}@example.com", "edit", "binary")
    await actor._outbox.poll(subscription, 0)

    await actor.receive("ann", presence(11, 1, "ann"))
    first = await actor._outbox.poll(subscription, 0)
    await actor.receive("bob", presence(12, 1, "bob"))
    await actor.receive("cat", presence(13, 1, "cat"))
    await actor.receive("bob", presence(12, 2, "bob"))
    held_back = await actor._outbox.poll(subscription, 0)
    await asyncio.sleep(0.5)
    merged = await actor._outbox.poll(subscription, 0)

    assert awareness_entries(first) == [[11]]
    assert awareness_entries(held_back) == []
    assert awareness_entries(merged) == [[12, 13]]
    last = merged[-1]
    assert isinstance(last, Frame)
    assert isinstance(last.payload, bytes)
    message = decode_message(last.payload)
    assert isinstance(message, AwarenessMessage)
    clocks = {entry.client_id: entry.clock for entry in decode_awareness(message.payload)}
    assert clocks == {12: 2, 13: 1}


@pytest.mark.usefixtures("short_housekeeping")
async def test_housekeeping_checkpoints_the_sqlite_log(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    if actor._log is None:
        pytest.skip("only the SQLite update log leaves its write-ahead log to the actor")
    monkeypatch.setattr(report_actor, "CHECKPOINT_SECONDS", 0.1)
    actor.start_housekeeping()

    await type_edits(actor, 3)
    appended = actor._log.appended_since_checkpoint
    await asyncio.sleep(0.5)

    assert appended >= 3
    assert actor._log.appended_since_checkpoint == 0


def removal(client_id: int, clock: int) -> bytes:
    payload = write_var_uint(1) + write_var_uint(client_id) + write_var_uint(clock)
    return awareness_frame(payload + write_var_string("null"))


@pytest.mark.parametrize("later_clock", [1, 5], ids=["older clock", "same clock"])
async def test_merged_awareness_keeps_newer_removal(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch, later_clock: int
) -> None:
    monkeypatch.setattr(collaboration, "AWARENESS_INTERVAL_SECONDS", 0.3)
    subscription = await actor.subscribe()
    for name in ("ann", "bob"):
        await actor.connect(subscription, name, f"{name}@example.com", "edit", "binary")
    await actor.receive("ann", presence(11, 4, "ann"))
    await actor._outbox.poll(subscription, 0)

    # Within one interval ann removes client 11, and bob then announces the same client id
    # with a clock that is not newer, which y-protocols clients that saw the removal ignore.
    await actor.receive("ann", removal(11, 5))
    await actor.receive("bob", presence(11, later_clock, "bob"))
    await asyncio.sleep(0.5)
    merged = await actor._outbox.poll(subscription, 0)

    assert awareness_entries(merged) == [[11]]
    last = merged[-1]
    assert isinstance(last, Frame)
    assert isinstance(last.payload, bytes)
    message = decode_message(last.payload)
    assert isinstance(message, AwarenessMessage)
    [entry] = decode_awareness(message.payload)
    assert entry.clock == 5
    assert entry.state is None


@pytest.mark.usefixtures("short_housekeeping", "merge_at_cap_only")
async def test_failed_merge_is_logged_and_retried(
    actor: ReportActor,
    session_settings: Settings,
    new_report_id: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(report_actor, "COMPACT_RETRY_SECONDS", 0.3)
    merge = report_actor.compact_log
    failures = [StorageError("database is locked")]

    def merge_failing_once(reports: ReportRepository, report_id: uuid.UUID) -> tuple[int, int]:
        if failures:
            raise failures.pop()
        return merge(reports, report_id)

    monkeypatch.setattr(report_actor, "compact_log", merge_failing_once)

    await type_edits(actor, 8)
    assert actor._compaction is not None
    await actor._compaction
    _, rows_after_failure, _ = stored(session_settings, new_report_id)
    actor.start_housekeeping()
    await asyncio.sleep(0.8)
    snapshot, rows_after_retry, document = stored(session_settings, new_report_id)

    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert len(errors) == 1
    assert "merging the update log failed" in errors[0].getMessage()
    assert "database is locked" in caplog.text
    assert rows_after_failure >= 8
    assert snapshot is not None
    assert rows_after_retry == 0
    assert document == await actor.read()


@pytest.mark.usefixtures("merge_at_cap_only")
async def test_merge_counts_rows_stored_while_it_starts(
    actor: ReportActor,
    session_settings: Settings,
    new_report_id: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    merge = report_actor.compact_log
    started = threading.Event()
    go_on = threading.Event()

    def merge_after_signal(reports: ReportRepository, report_id: uuid.UUID) -> tuple[int, int]:
        started.set()
        go_on.wait(5)
        return merge(reports, report_id)

    monkeypatch.setattr(report_actor, "compact_log", merge_after_signal)

    await type_edits(actor, 8)
    assert actor._compaction is not None
    await asyncio.to_thread(started.wait, 5)
    # These edits are stored after the merge started but before it reads the log.
    for number in range(3):
        assert await actor.receive("writer", typing(actor, f"late {number} ")) == []
    go_on.set()
    await actor._compaction
    _, rows, document = stored(session_settings, new_report_id)

    assert rows == 0
    assert actor._log_rows == rows
    assert document == await actor.read()


def decoded_awareness(frames: list[Outgoing]) -> list[AwarenessEntry]:
    """Return the awareness entries of ``frames``, whose binary frames must all be awareness."""
    entries = []
    for frame in frames:
        if isinstance(frame, Frame) and isinstance(frame.payload, bytes):
            message = decode_message(frame.payload)
            assert isinstance(message, AwarenessMessage)
            entries.extend(decode_awareness(message.payload))
    return entries


async def test_json_cursor_after_expiry_is_newer(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collaboration, "AWARENESS_INTERVAL_SECONDS", 0.0)
    monkeypatch.setattr("crdt.awareness.OUTDATED_SECONDS", 0.0)
    subscription = await actor.subscribe()
    await actor.connect(subscription, "cat", "cat@example.com", "edit", "text")
    await actor._outbox.poll(subscription, 0)  # the join and its awareness state
    move = json.dumps({"type": "user_cursor", "section_id": "risk", "position": 3})

    await actor.receive("cat", move)
    await asyncio.sleep(0.01)
    await actor._housekeeping_round()
    await actor.receive("cat", move)
    frames = await actor._outbox.poll(subscription, 0)

    entries = decoded_awareness(frames)
    assert [entry.state is None for entry in entries] == [False, True, False]
    # y-protocols clients apply a state only with a clock newer than the removal's.
    assert entries[2].clock > entries[1].clock


async def test_json_client_is_announced_to_yjs_clients(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collaboration, "AWARENESS_INTERVAL_SECONDS", 0.0)
    subscription = await actor.subscribe()

    await actor.connect(subscription, "cat", "cat@example.com", "view", "text")
    frames = await actor._outbox.poll(subscription, 0)

    states = [entry.state for entry in decoded_awareness(frames)]
    assert len(states) == 1
    assert states[0] is not None
    assert json.loads(states[0]) == {"user": {"name": "cat@example.com"}}


async def test_json_cursor_is_renewed_while_connected(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collaboration, "AWARENESS_INTERVAL_SECONDS", 0.0)
    monkeypatch.setattr("crdt.awareness.OUTDATED_SECONDS", 2.0)
    subscription = await actor.subscribe()
    await actor.connect(subscription, "cat", "cat@example.com", "comment", "text")
    await actor._outbox.poll(subscription, 0)  # the join and its awareness state
    move = json.dumps({"type": "user_cursor", "section_id": "risk", "position": 3})

    await actor.receive("cat", move)
    # Each round past half the expiry time renews the state, so the second round, past the
    # expiry time of the first state, finds a renewed one and keeps it.
    await asyncio.sleep(1.2)
    await actor._housekeeping_round()
    await asyncio.sleep(1.2)
    await actor._housekeeping_round()
    frames = await actor._outbox.poll(subscription, 0)

    entries = decoded_awareness(frames)
    assert len(entries) >= 2
    assert [entry.state for entry in entries] == [entries[0].state] * len(entries)
    assert entries[0].state is not None
    clocks = [entry.clock for entry in entries]
    assert clocks == sorted(set(clocks))


async def test_awareness_overflow_drops_replica_connections(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(collaboration, "AWARENESS_INTERVAL_SECONDS", 0.0)
    monkeypatch.setattr(outbox, "SUBSCRIPTION_QUEUE_FRAMES", 5)
    slow = await actor.subscribe()
    await actor.connect(slow, "ann", "ann@example.com", "edit", "binary")
    await actor.connect(slow, "cat", "cat@example.com", "edit", "text")

    # The replica never polls, so its queue fills with awareness frames alone.
    for clock in range(1, 10):
        if not actor._connections.of_subscription(slow):
            break
        await actor.receive("ann", presence(11, clock, "ann"))

    assert actor._connections.of_subscription(slow) == []
    assert f"replica subscription {slow} overflowed" in caplog.text
