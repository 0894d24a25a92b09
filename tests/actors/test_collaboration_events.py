"""JSON events handled by ``Collaboration`` directly, without Ray or a socket."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from actors.collaboration import Collaboration
from actors.connections import CLOSE_MALFORMED, Connection, Connections
from actors.outbox import Close, Frame, FrameKind, Outbox
from crdt import ReportDocument
from crdt.protocol import SyncMessage, SyncStep, decode_message
from storage import Permission


async def _store_update(update: bytes, connection: Connection) -> None:
    raise AssertionError("no test here sends a Yjs update")


async def _commit_edit(
    edit: Callable[[ReportDocument], Any],
    connection: Connection,
    section_id: str | None,
    change_type: str,
) -> Any:
    raise AssertionError("no test here edits the document")


@pytest.fixture
def collaboration() -> Collaboration:
    return Collaboration(ReportDocument(), Connections(), Outbox(), _store_update, _commit_edit)


@pytest.fixture
def connection() -> Connection:
    return Connection(
        id="c1",
        subscription="s1",
        user="ann@example.com",
        permission=Permission.EDIT,
        kind=FrameKind.TEXT,
    )


LONE_SURROGATES = {
    "request id": '{"type": "ping", "request_id": "\\ud800"}',
    "low surrogate in a nested key": '{"type": "ping", "x": [{"\\udfff": 1}]}',
    "section id": '{"type": "section_update", "section_id": "a\\udc00", "changes": {}}',
}


@pytest.mark.parametrize("text", LONE_SURROGATES.values(), ids=LONE_SURROGATES.keys())
async def test_lone_surrogate_closes_with_4400(
    collaboration: Collaboration, connection: Connection, text: str
) -> None:
    outgoing = await collaboration.receive_text(connection, text)

    assert len(outgoing) == 1
    close = outgoing[0]
    assert isinstance(close, Close)
    assert close.code == CLOSE_MALFORMED
    assert "surrogate" in close.reason
    close.reason.encode("utf-8")


async def test_surrogate_pair_is_one_character(
    collaboration: Collaboration, connection: Connection
) -> None:
    outgoing = await collaboration.receive_text(
        connection, '{"type": "ping", "request_id": "\\ud83d\\ude00"}'
    )

    assert len(outgoing) == 1
    reply = outgoing[0]
    assert isinstance(reply, Frame)
    assert isinstance(reply.payload, str)
    assert json.loads(reply.payload)["request_id"] == "\U0001f600"
    reply.payload.encode("utf-8")


@pytest.mark.parametrize("permission", list(Permission), ids=lambda p: p.value)
async def test_empty_sync_step2_is_ignored(permission: Permission) -> None:
    stored: list[bytes] = []

    async def store_update(update: bytes, connection: Connection) -> None:
        stored.append(update)

    outbox = Outbox()
    subscription = outbox.subscribe()
    collaboration = Collaboration(
        ReportDocument(), Connections(), outbox, store_update, _commit_edit
    )
    editor = Connection(
        id="c2",
        subscription=subscription,
        user="bob@example.com",
        permission=permission,
        kind=FrameKind.BINARY,
    )

    # A new y-websocket client replies to sync step 1 with an empty update: 0, 1, length 2.
    outgoing = await collaboration.receive_binary(editor, bytes([0, 1, 2, 0, 0]))

    assert outgoing == []
    assert stored == []
    assert await outbox.poll(subscription, 0.01) == []


async def test_whole_document_frame_follows_changes(
    connection: Connection,
) -> None:
    document = ReportDocument()
    document.set_meta({"title": "July"})
    collaboration = Collaboration(document, Connections(), Outbox(), _store_update, _commit_edit)
    empty_state_step1 = bytes([0, 0, 1, 0])

    def titles(frames: list[Any]) -> str:
        assert len(frames) == 1
        assert isinstance(frames[0].payload, bytes)
        message = decode_message(frames[0].payload)
        assert isinstance(message, SyncMessage)
        assert message.step is SyncStep.STEP2
        joined = ReportDocument.from_updates([message.payload])
        return str(joined.meta()["title"])

    first = await collaboration.receive_binary(connection, empty_state_step1)
    second = await collaboration.receive_binary(connection, empty_state_step1)
    document.set_meta({"title": "August"})
    collaboration.document_changed()
    third = await collaboration.receive_binary(connection, empty_state_step1)

    assert titles(first) == titles(second) == "July"
    assert titles(third) == "August"


def _reject_constant(constant: str) -> None:
    raise ValueError(f"{constant} is not standard JSON")


async def test_welcome_sends_non_finite_numbers_as_null(connection: Connection) -> None:
    # A Yjs client can store Infinity or NaN; JavaScript's JSON.parse rejects those tokens.
    document = ReportDocument()
    document.put_section(
        "risk",
        title="Risks",
        body="Crane hire is late.",
        order=0,
        metrics={"cost_performance": float("inf"), "schedule_performance": float("nan")},
        confidence_score=float("-inf"),
    )
    collaboration = Collaboration(document, Connections(), Outbox(), _store_update, _commit_edit)

    welcome = collaboration.welcome_json(connection)

    assert len(welcome) == 1
    assert isinstance(welcome[0], Frame)
    assert isinstance(welcome[0].payload, str)
    message = json.loads(welcome[0].payload, parse_constant=_reject_constant)
    section = message["sections"][0]
    assert section["metrics"] == {"cost_performance": None, "schedule_performance": None}
    assert section["confidence_score"] is None
    assert section["body"] == "Crane hire is late."
