"""Frames sent to a ReportActor built in-process on the test database, without Ray."""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import pytest
from pycrdt import Doc, Map, Text

from actors.outbox import Close, Frame
from actors.report_actor import ReportActor
from config import Settings
from crdt import ReportDocument
from crdt.protocol import (
    AuthMessage,
    SyncMessage,
    awareness_frame,
    decode_message,
    sync_update,
    write_var_bytes,
    write_var_uint,
)
from exports import ExportFile, ExportFormat, QualityCheckError, export_report
from storage import AuditRepository, Database
from tests.actors.conftest import stored_state
from tests.exports.conftest import request as export_request


def stored_document(settings: Settings, report_id: uuid.UUID) -> dict[str, Any]:
    """Return the report as a new actor would load it from the database."""
    return stored_state(settings, report_id)[2]


def yjs_update(actor: ReportActor, change: Any) -> bytes:
    """Return a Yjs client's sync update frame for ``change`` applied to its sections map."""
    client: Doc[Any] = Doc()
    client.apply_update(actor._document.snapshot())
    before = client.get_state()
    change(client.get("sections", type=Map))
    return sync_update(client.get_update(before))


def remove_risk(sections: Map[Any]) -> None:
    del sections["risk"]


def remove_risk_body(sections: Map[Any]) -> None:
    del sections["risk"]["body"]


def replace_risk_body(sections: Map[Any]) -> None:
    sections["risk"]["body"] = Text("Rewritten.")


@pytest.mark.parametrize(
    "change",
    [remove_risk, remove_risk_body, replace_risk_body],
    ids=["section", "body", "new body"],
)
async def test_removal_under_json_cursor_succeeds(
    actor: ReportActor, session_settings: Settings, new_report_id: uuid.UUID, change: Any
) -> None:
    subscription = await actor.subscribe()
    await actor.connect(subscription, "reader", "ann@example.com", "edit", "text")
    await actor.connect(subscription, "writer", "bob@example.com", "edit", "binary")
    cursor = json.dumps({"type": "user_cursor", "section_id": "risk", "position": 3})
    await actor.receive("reader", cursor)
    before = await actor.read()

    replies = await actor.receive("writer", yjs_update(actor, change))
    later = await actor.receive("reader", json.dumps({"type": "ping"}))

    assert replies == []
    assert len(later) == 1
    assert isinstance(later[0], Frame)
    assert '"type": "ack"' in str(later[0].payload)
    assert await actor.read() != before
    assert stored_document(session_settings, new_report_id) == await actor.read()


async def test_comment_in_replaced_body_keeps_joins_working(actor: ReportActor) -> None:
    subscription = await actor.subscribe()
    await actor.connect(subscription, "reader", "ann@example.com", "comment", "text")
    await actor.connect(subscription, "writer", "bob@example.com", "edit", "binary")
    comment = {"type": "comment_added", "section_id": "risk", "content": "Why?", "position": 4}
    await actor.receive("reader", json.dumps(comment))

    replies = await actor.receive("writer", yjs_update(actor, replace_risk_body))
    welcome = await actor.connect(subscription, "late", "cat@example.com", "view", "text")

    assert replies == []
    assert len(welcome) == 1
    assert isinstance(welcome[0], Frame)
    comments = json.loads(str(welcome[0].payload))["comments"]
    assert [item["content"] for item in comments] == ["Why?"]
    assert comments[0]["position"] is None


async def test_bad_frames_leave_stored_report_unchanged(
    actor: ReportActor, session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    subscription = await actor.subscribe()
    await actor.connect(subscription, "writer", "bob@example.com", "edit", "binary")
    before = stored_document(session_settings, new_report_id)

    def comment_without_fields(sections: Map[Any]) -> None:
        comments = sections.doc.get("comments", type=Map)
        comments["c1"] = Map({"content": "no date or section"})

    def infinite_order(sections: Map[Any]) -> None:
        sections["risk"]["order"] = float("inf")

    frames = [
        b"\x00\x02\x05\x01",
        yjs_update(actor, comment_without_fields),
        yjs_update(actor, infinite_order),
    ]
    for frame in frames:
        # The replica leaves a connection that the actor closed, and the client reconnects.
        await actor.disconnect("writer")
        await actor.connect(subscription, "writer", "bob@example.com", "edit", "binary")
        replies = await actor.receive("writer", frame)

        assert len(replies) == 1
        assert isinstance(replies[0], Close)
        assert replies[0].code == 4400

    assert stored_document(session_settings, new_report_id) == before
    assert await actor.read() == before


def text_updates(snapshot: bytes) -> tuple[bytes, bytes]:
    """Return two consecutive updates of one Yjs client that append to the risk body."""
    client: Doc[Any] = Doc()
    client.apply_update(snapshot)
    before = client.get_state()
    body = client.get("sections", type=Map)["risk"]["body"]
    body.insert(len(body), " Rain")
    first = client.get_update(before)
    middle = client.get_state()
    body.insert(len(body), " and wind.")
    return first, client.get_update(middle)


async def test_newcomer_converges_after_update_with_gap(actor: ReportActor) -> None:
    subscription = await actor.subscribe()
    await actor.connect(subscription, "writer", "bob@example.com", "edit", "binary")
    first, second = text_updates(actor._document.snapshot())

    # The second update arrives first, so its structs stay pending on the server.
    await actor.receive("writer", sync_update(second))
    await actor._outbox.poll(subscription, 0)
    await actor.connect(subscription, "newcomer", "cat@example.com", "view", "binary")
    whole = await actor.receive("newcomer", b"\x00\x00\x01\x00")
    await actor.receive("writer", sync_update(first))
    broadcast = await actor._outbox.poll(subscription, 0)

    newcomer: Doc[Any] = Doc()
    for frame in [*whole, *broadcast]:
        assert isinstance(frame, Frame)
        if not isinstance(frame.payload, bytes):
            continue  # the JSON clients' presence events
        message = decode_message(frame.payload)
        if isinstance(message, SyncMessage):
            newcomer.apply_update(message.payload)
    server_body = (await actor.read())["sections"][0]["body"]
    newcomer_body = str(newcomer.get("sections", type=Map)["risk"]["body"])

    assert server_body == "Crane hire is late. Rain and wind."
    assert newcomer_body == server_body


async def test_highest_awareness_clock_keeps_leave_announced(actor: ReportActor) -> None:
    subscription = await actor.subscribe()
    await actor.connect(subscription, "reader", "ann@example.com", "view", "text")
    await actor.connect(subscription, "writer", "bob@example.com", "edit", "binary")
    state = b'{"user": {"name": "bob"}}'
    payload = write_var_uint(1) + write_var_uint(42) + write_var_uint(2**53 - 1)
    payload += write_var_bytes(state)

    replies = await actor.receive("writer", awareness_frame(payload))
    await actor._outbox.poll(subscription, 0)
    await actor.disconnect("writer")
    after = await actor._outbox.poll(subscription, 0)

    assert len(replies) == 1
    assert isinstance(replies[0], Close)
    assert replies[0].code == 4400
    payloads = [frame.payload for frame in after if isinstance(frame, Frame)]
    assert any('"event": "leave"' in str(payload) for payload in payloads)


async def test_json_comments_logged_as_comments(
    actor: ReportActor, session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    subscription = await actor.subscribe()
    await actor.connect(subscription, "reader", "ann@example.com", "comment", "text")
    added = {"type": "comment_added", "section_id": "risk", "content": "Why?", "position": 4}
    await actor.receive("reader", json.dumps(added))
    comment_id = (await actor.session_view())["comments"][0]["comment_id"]
    resolved = {"type": "comment_resolved", "comment_id": comment_id}
    await actor.receive("reader", json.dumps(resolved))

    log = (await actor.session_view())["changes_log"]
    ann = [(e["section_id"], e["change_type"]) for e in log if e["user_id"] == "ann@example.com"]

    assert ann == [("risk", "comment_added"), ("risk", "comment_resolved")]
    database = Database(session_settings.sqlalchemy_url)
    try:
        audited = AuditRepository(database).for_report(new_report_id)
    finally:
        database.dispose()
    actions = [entry.action for entry in audited if entry.actor == "ann@example.com"]
    assert actions == ["comment_added", "comment_resolved"]


async def test_second_resolve_keeps_first(actor: ReportActor) -> None:
    comment = await actor.add_comment("risk", "Why?", None, "ann@example.com")
    first = await actor.resolve_comment(comment["comment_id"], "ann@example.com")
    version = (await actor.read())["meta"]["version"]
    subscription = await actor.subscribe()
    await actor.connect(subscription, "reader", "bob@example.com", "comment", "text")
    again = {"type": "comment_resolved", "comment_id": comment["comment_id"]}

    over_rest = await actor.resolve_comment(comment["comment_id"], "bob@example.com")
    await actor.receive("reader", json.dumps(again))

    assert first["resolved_by"] == "ann@example.com"
    assert over_rest == first
    assert (await actor.session_view())["comments"] == [first]
    assert (await actor.read())["meta"]["version"] == version
    log = (await actor.session_view())["changes_log"]
    assert [e["change_type"] for e in log if e["user_id"] == "bob@example.com"] == []
    assert [e["section_id"] for e in log if e["change_type"] == "comment_resolved"] == ["risk"]


async def test_repeated_section_update_changes_nothing(
    actor: ReportActor, session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    await actor.update_section(
        "risk", title=None, body=None, metrics={"open": 3, "closed": 1}, strategy="replace"
    )
    before = await actor.read()
    _, updates_before, _ = stored_state(session_settings, new_report_id)
    logged = (await actor.session_view())["changes_log"]
    subscription = await actor.subscribe()
    await actor.connect(subscription, "reader", "bob@example.com", "view", "binary")
    await actor._outbox.poll(subscription, 0)

    for strategy in ("replace", "merge"):
        repeated = await actor.update_section(
            "risk",
            title="Risks",
            body="Crane hire is late.",
            metrics={"open": 3, "closed": 1},
            strategy=strategy,
        )
        assert repeated["version"] == before["meta"]["version"]
    appended = await actor.update_section(
        "risk", title=None, body="", metrics=None, strategy="append"
    )

    assert appended["version"] == before["meta"]["version"]
    assert await actor.read() == before
    assert stored_state(session_settings, new_report_id)[1] == updates_before
    assert await actor._outbox.poll(subscription, 0) == []
    assert (await actor.session_view())["changes_log"] == logged

    changed = await actor.update_section(
        "risk", title="Risks and issues", body=None, metrics=None, strategy="merge"
    )

    assert changed["version"] == before["meta"]["version"] + 1
    assert len(stored_state(session_settings, new_report_id)[1]) == len(updates_before) + 1


async def joined(actor: ReportActor, *connections: tuple[str, str, str, str]) -> str:
    """Register ``connections`` (id, user, permission, kind) on a new subscription.

    Returns the subscription, with the frames of the joins already taken off its queue.
    """
    subscription = await actor.subscribe()
    for connection_id, user, permission, kind in connections:
        await actor.connect(subscription, connection_id, user, permission, kind)
    await actor._outbox.poll(subscription, 0)
    return subscription


async def test_session_change_notifies_json_client(actor: ReportActor) -> None:
    subscription = await joined(
        actor,
        ("reader", "bob@example.com", "edit", "text"),
        ("writer", "ann@example.com", "edit", "binary"),
    )
    permissions = {"bob@example.com": "comment", "ann@example.com": "view"}

    await actor.start_session("collaborative", permissions, "pm@example.com")
    first = await actor._outbox.poll(subscription, 0)
    await actor.start_session("collaborative", permissions, "pm@example.com")
    second = await actor._outbox.poll(subscription, 0)

    notices = [
        item
        for item in first
        if isinstance(item, Frame) and "permission_changed" in str(item.payload)
    ]
    assert len(notices) == 1
    assert notices[0].targets == frozenset({"reader"})
    assert json.loads(str(notices[0].payload)) == {
        "type": "permission_changed",
        "user_id": "bob@example.com",
        "permission": "comment",
    }
    assert not any("permission_changed" in str(getattr(item, "payload", "")) for item in second)


async def test_session_demotion_warns_yjs_client(actor: ReportActor) -> None:
    subscription = await joined(
        actor,
        ("writer", "ann@example.com", "edit", "binary"),
        ("viewer", "carl@example.com", "view", "binary"),
    )
    permissions = {"ann@example.com": "comment", "carl@example.com": "edit"}

    await actor.start_session("collaborative", permissions, "pm@example.com")
    sent = await actor._outbox.poll(subscription, 0)

    notices: list[tuple[frozenset[str] | None, AuthMessage]] = []
    for item in sent:
        if isinstance(item, Frame) and isinstance(item.payload, bytes):
            message = decode_message(item.payload)
            if isinstance(message, AuthMessage):
                notices.append((item.targets, message))
    assert len(notices) == 1
    targets, notice = notices[0]
    assert targets == frozenset({"writer"})
    assert notice.denied
    assert notice.reason.startswith("ann@example.com now has comment permission")


async def test_admin_left_out_of_session_edits(actor: ReportActor) -> None:
    subscription = await actor.subscribe()
    await actor.connect(subscription, "admin-yjs", "root@example.com", "edit", "binary", True)
    await actor.connect(subscription, "admin-json", "root@example.com", "edit", "text", True)
    await actor.start_session("collaborative", {"root@example.com": "view"}, "pm@example.com")
    await actor._outbox.poll(subscription, 0)

    # The new session no longer lists the admin, so the admin edits again, as a new
    # connection of theirs would.
    await actor.start_session("collaborative", {"ann@example.com": "edit"}, "pm@example.com")
    sent = await actor._outbox.poll(subscription, 0)

    assert await actor.permission_for("root@example.com", "edit", True) == "edit"
    for connection_id in ("admin-yjs", "admin-json"):
        connection = actor._connections.get(connection_id)
        assert connection is not None
        assert connection.can_edit
    notices = [
        item
        for item in sent
        if isinstance(item, Frame) and "permission_changed" in str(item.payload)
    ]
    assert len(notices) == 1
    assert notices[0].targets == frozenset({"admin-json"})
    assert json.loads(str(notices[0].payload))["permission"] == "edit"
    assert not any(isinstance(item, Close) for item in sent)


async def test_join_after_session_change_follows_session(actor: ReportActor) -> None:
    subscription = await actor.subscribe()
    await actor.start_session(
        "collaborative", {"eve@example.com": "edit", "ann@example.com": "edit"}, "pm@example.com"
    )
    granted = await actor.permission_for("eve@example.com", "edit", False)
    ann_granted = await actor.permission_for("ann@example.com", "edit", False)
    # A new session starts between the replica's permission request and the join.
    await actor.start_session("collaborative", {"ann@example.com": "view"}, "pm@example.com")

    eve = await actor.connect(subscription, "eve", "eve@example.com", str(granted), "binary")
    ann = await actor.connect(subscription, "ann", "ann@example.com", str(ann_granted), "text")

    assert granted == "edit"
    assert eve == [Close(4403, "eve@example.com left the session")]
    assert actor._connections.get("eve") is None
    joined = actor._connections.get("ann")
    assert joined is not None
    assert joined.permission.value == "view"
    [welcome] = ann
    assert isinstance(welcome, Frame)
    assert json.loads(str(welcome.payload))["permission"] == "view"


@pytest.mark.parametrize("kind", ["user_cursor", "comment_added"])
async def test_position_at_section_end_is_acked(actor: ReportActor, kind: str) -> None:
    subscription = await actor.subscribe()
    await actor.connect(subscription, "reader", "ann@example.com", "edit", "text")
    body = (await actor.read())["sections"][0]["body"]
    event = {"type": kind, "section_id": "risk", "position": len(body), "content": "Why?"}

    replies = await actor.receive("reader", json.dumps(event))

    assert len(replies) == 1
    assert isinstance(replies[0], Frame)
    reply = json.loads(str(replies[0].payload))
    assert reply["type"] == "ack"
    assert reply["result"]["position"] == len(body)


async def test_yjs_comment_removal_with_json_client(
    actor: ReportActor, session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    subscription = await actor.subscribe()
    await actor.connect(subscription, "reader", "ann@example.com", "comment", "text")
    await actor.connect(subscription, "writer", "bob@example.com", "edit", "binary")
    comment = {"type": "comment_added", "section_id": "risk", "content": "Why?", "position": 4}
    added = await actor.receive("reader", json.dumps(comment))
    assert isinstance(added[0], Frame)
    comment_id = json.loads(str(added[0].payload))["result"]["comment_id"]

    def remove_comment(sections: Map[Any]) -> None:
        del sections.doc.get("comments", type=Map)[comment_id]

    replies = await actor.receive("writer", yjs_update(actor, remove_comment))
    later = await actor.receive("reader", json.dumps({"type": "ping"}))

    assert replies == []
    assert await actor.comments() == []
    assert stored_state(session_settings, new_report_id)[2] == await actor.read()
    assert len(later) == 1
    assert isinstance(later[0], Frame)
    assert '"type": "ack"' in str(later[0].payload)


async def test_json_title_past_limit_gets_error_event(
    actor: ReportActor, session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    subscription = await actor.subscribe()
    await actor.connect(subscription, "editor", "ann@example.com", "edit", "text")
    update = {
        "type": "section_update",
        "request_id": 7,
        "section_id": "risk",
        "changes": {"content": "Crane hire is late.", "title": "t" * 301},
    }

    replies = await actor.receive("editor", json.dumps(update))

    assert len(replies) == 1
    reply = replies[0]
    assert isinstance(reply, Frame)
    assert isinstance(reply.payload, str)
    event = json.loads(reply.payload)
    assert event["type"] == "error"
    assert event["request_id"] == 7
    assert "too long: 301 characters, the maximum is 300" in event["message"]
    assert stored_document(session_settings, new_report_id)["sections"][0]["title"] == "Risks"


async def test_last_activity_follows_changes(actor: ReportActor) -> None:
    started = await actor.start_session("collaborative", {"ann@example.com": "comment"}, "pm@x.io")
    await actor._changes.flush()
    await actor.add_comment("risk", "Why?", None, "ann@example.com")
    await actor._changes.flush()

    view = await actor.session_view()

    newest_change = view["changes_log"][-1]
    assert newest_change["change_type"] == "comment_added"
    assert view["started_at"] == started["started_at"]
    assert view["last_activity"] > started["last_activity"]
    assert view["last_activity"] == newest_change["changed_at"]


def json_events(frames: list[Any], kind: str) -> list[dict[str, Any]]:
    """Return the JSON events of type ``kind`` among ``frames``."""
    events = []
    for frame in frames:
        if isinstance(frame, Frame) and isinstance(frame.payload, str):
            message = json.loads(frame.payload)
            if message["type"] == kind:
                events.append(message)
    return events


async def test_yjs_section_removal_reaches_json_client(actor: ReportActor) -> None:
    subscription = await joined(
        actor,
        ("reader", "ann@example.com", "view", "text"),
        ("writer", "bob@example.com", "edit", "binary"),
    )

    replies = await actor.receive("writer", yjs_update(actor, remove_risk))
    sent = await actor._outbox.poll(subscription, 0)

    assert replies == []
    removals = json_events(sent, "section_removed")
    assert len(removals) == 1
    assert removals[0]["section_id"] == "risk"
    assert removals[0]["user_id"] == "bob@example.com"
    assert isinstance(removals[0]["timestamp"], str)
    assert json_events(sent, "section_update") == []
    assert [s["section_id"] for s in (await actor.read())["sections"]] == ["summary"]


async def test_yjs_comment_removal_reaches_json_client(actor: ReportActor) -> None:
    comment = await actor.add_comment("risk", "Why?", 4, "ann@example.com")
    subscription = await joined(
        actor,
        ("reader", "ann@example.com", "comment", "text"),
        ("writer", "bob@example.com", "edit", "binary"),
    )

    def remove_comment(sections: Map[Any]) -> None:
        del sections.doc.get("comments", type=Map)[comment["comment_id"]]

    replies = await actor.receive("writer", yjs_update(actor, remove_comment))
    sent = await actor._outbox.poll(subscription, 0)

    assert replies == []
    removals = json_events(sent, "comment_removed")
    assert len(removals) == 1
    assert removals[0]["comment_id"] == comment["comment_id"]
    assert removals[0]["user_id"] == "bob@example.com"
    assert json_events(sent, "comment_updated") == []
    assert await actor.comments() == []


def append_rain(sections: Map[Any]) -> None:
    body = sections["risk"]["body"]
    body.insert(len(body), " Rain 🌧.")


async def test_cursor_at_end_follows_yjs_append(actor: ReportActor) -> None:
    subscription = await joined(
        actor,
        ("reader", "ann@example.com", "edit", "text"),
        ("writer", "bob@example.com", "edit", "binary"),
    )
    body = (await actor.read())["sections"][0]["body"]
    cursor = {"type": "user_cursor", "section_id": "risk", "position": len(body)}
    await actor.receive("reader", json.dumps(cursor))
    comment = await actor.add_comment("risk", "Why?", len(body), "ann@example.com")
    await actor._outbox.poll(subscription, 0)

    replies = await actor.receive("writer", yjs_update(actor, append_rain))
    sent = await actor._outbox.poll(subscription, 0)

    assert replies == []
    appended = (await actor.read())["sections"][0]["body"]
    assert appended == body + " Rain 🌧."
    cursors = json_events(sent, "user_cursor")
    assert len(cursors) == 1
    assert cursors[0]["connection_id"] == "reader"
    assert cursors[0]["position"] == len(appended)
    [listed] = await actor.comments()
    assert listed["comment_id"] == comment["comment_id"]
    assert listed["position"] == len(appended)


def set_block(root: str, key: str, value: Any) -> Any:
    """Return a change that sets ``key`` of the top-level map ``root`` to ``value``."""

    def change(sections: Map[Any]) -> None:
        sections.doc.get(root, type=Map)[key] = value

    return change


BROKEN_BLOCKS = {
    "key metric as text": set_block("metrics", "key_metrics", {"cost_performance": "high"}),
    "percentile as NaN": set_block(
        "monte_carlo", "analysis", {"iterations": 500, "cost": {"percentiles": {"p50": math.nan}}}
    ),
    "finish dates as a list": set_block(
        "monte_carlo",
        "analysis",
        {"iterations": 500, "schedule_completion": ["2025-12-19"]},
    ),
}


def export_workbook(report: dict[str, Any]) -> ExportFile:
    return export_report(
        report, None, export_request(ExportFormat.EXCEL, template_sections=("risk", "summary"))
    )


@pytest.mark.parametrize("change", BROKEN_BLOCKS.values(), ids=BROKEN_BLOCKS.keys())
async def test_yjs_update_breaking_exports_is_rejected(
    actor: ReportActor, session_settings: Settings, new_report_id: uuid.UUID, change: Any
) -> None:
    await actor.connect(await actor.subscribe(), "writer", "bob@example.com", "edit", "binary")
    before = stored_document(session_settings, new_report_id)
    frame = yjs_update(actor, change)
    # The same update applied without the check: the report's export fails.
    unchecked = ReportDocument.from_updates([actor._document.snapshot()])
    message = decode_message(frame)
    assert isinstance(message, SyncMessage)
    unchecked.apply(message.payload)
    with pytest.raises((ValueError, TypeError, QualityCheckError)):
        export_workbook(unchecked.to_dict())

    replies = await actor.receive("writer", frame)

    assert len(replies) == 1
    assert isinstance(replies[0], Close)
    assert replies[0].code == 4400
    assert "breaks the report layout" in replies[0].reason
    assert stored_document(session_settings, new_report_id) == before
    assert await actor.read() == before
    assert export_workbook(await actor.read()).data.startswith(b"PK")


ERROR_CODES: dict[str, tuple[str, dict[str, Any]]] = {
    "permission_denied": (
        "view",
        {"type": "section_update", "section_id": "risk", "changes": {"content": "x"}},
    ),
    "not_found": (
        "edit",
        {"type": "section_update", "section_id": "nowhere", "changes": {"content": "x"}},
    ),
    "invalid_change": (
        "edit",
        {"type": "section_update", "section_id": "risk", "changes": {"title": "t" * 301}},
    ),
    "invalid_event": ("edit", {"type": "user_cursor", "section_id": "risk", "position": "3"}),
}


@pytest.mark.parametrize("code", ERROR_CODES)
async def test_error_event_names_its_code(actor: ReportActor, code: str) -> None:
    permission, event = ERROR_CODES[code]
    subscription = await actor.subscribe()
    await actor.connect(subscription, "json", "ann@example.com", permission, "text")

    replies = await actor.receive("json", json.dumps({**event, "request_id": "r1"}))

    assert len(replies) == 1
    assert isinstance(replies[0], Frame)
    reply = json.loads(str(replies[0].payload))
    assert reply["type"] == "error"
    assert reply["request_id"] == "r1"
    assert reply["code"] == code
