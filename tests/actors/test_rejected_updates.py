"""Yjs updates that the report rejects, handled by ``Collaboration`` without Ray or a socket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pycrdt import Doc, Map

from actors.collaboration import Collaboration
from actors.connections import Connection, Connections
from actors.outbox import Close, Frame, FrameKind, Outbox
from crdt import MAX_BODY_CHARS, ReportDocument
from crdt.protocol import AuthMessage, SyncMessage, decode_message, sync_update
from crdt.validation import ShadowValidator
from storage import Permission


class Store:
    """The actor's store-then-apply path reduced to the shadow check and a list."""

    def __init__(self, document: ReportDocument) -> None:
        self.document = document
        self.shadow = ShadowValidator(document)
        self.stored: list[bytes] = []

    async def __call__(self, update: bytes, connection: Connection) -> None:
        self.shadow.check(update)
        self.stored.append(update)
        self.document.apply(update)


async def _commit_edit(
    edit: Callable[[ReportDocument], Any],
    connection: Connection,
    section_id: str | None,
    change_type: str,
) -> Any:
    raise AssertionError("no test here edits the document through JSON events")


def make_document() -> ReportDocument:
    document = ReportDocument()
    document.put_section("risk", title="Risks", body="Crane hire is late.", order=0)
    return document


def editor(connection_id: str) -> Connection:
    return Connection(
        id=connection_id,
        subscription="s1",
        user=f"{connection_id}@example.com",
        permission=Permission.EDIT,
        kind=FrameKind.BINARY,
    )


class Client:
    """A Yjs client's document that starts from the server's state."""

    def __init__(self, document: ReportDocument) -> None:
        self.document = ReportDocument(Doc())
        self.document.apply(document.snapshot())

    def insert(self, text: str) -> bytes:
        before = self.document.state_vector()
        body = self.document.section_map("risk")["body"]
        body.insert(len(body), text)
        return sync_update(self.document.changes_since(before))


@pytest.fixture
def document() -> ReportDocument:
    return make_document()


@pytest.fixture
def store(document: ReportDocument) -> Store:
    return Store(document)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def collaboration(document: ReportDocument, store: Store, outbox: Outbox) -> Collaboration:
    return Collaboration(document, Connections(), outbox, store, _commit_edit)


def denial_reason(outgoing: list[Any]) -> str:
    assert len(outgoing) == 1
    frame = outgoing[0]
    assert isinstance(frame, Frame)
    assert isinstance(frame.payload, bytes)
    message = decode_message(frame.payload)
    assert isinstance(message, AuthMessage)
    assert message.denied
    return message.reason


async def test_update_past_body_limit_is_denied(
    collaboration: Collaboration, document: ReportDocument, store: Store, outbox: Outbox
) -> None:
    subscription = outbox.subscribe()
    client = Client(document)
    room = MAX_BODY_CHARS - len(document.section_body("risk"))

    outgoing = await collaboration.receive_binary(editor("ann"), client.insert("x" * (room + 1)))

    reason = denial_reason(outgoing)
    assert "section 'risk'" in reason
    assert "over the limit of 1,000,000" in reason
    assert store.stored == []
    assert document.section_body("risk") == "Crane hire is late."
    assert await outbox.poll(subscription, 0) == []


async def test_later_updates_of_rejected_connection_are_denied(
    collaboration: Collaboration, document: ReportDocument, store: Store
) -> None:
    ann = editor("ann")
    client = Client(document)
    room = MAX_BODY_CHARS - len(document.section_body("risk"))
    await collaboration.receive_binary(ann, client.insert("x" * (room + 1)))

    outgoing = await collaboration.receive_binary(ann, client.insert("!"))

    reason = denial_reason(outgoing)
    assert "earlier change on this connection was rejected" in reason
    assert "reload the report" in reason
    assert store.stored == []


async def test_updates_after_raised_permission_are_denied(
    collaboration: Collaboration, document: ReportDocument, store: Store
) -> None:
    ann = editor("ann")
    ann.permission = Permission.COMMENT
    client = Client(document)
    first = await collaboration.receive_binary(ann, client.insert(" Rejected."))
    ann.permission = Permission.EDIT

    outgoing = await collaboration.receive_binary(ann, client.insert(" Later."))

    assert "has comment permission" in denial_reason(first)
    reason = denial_reason(outgoing)
    assert "earlier change on this connection was rejected" in reason
    assert "has comment permission" in reason
    assert "reload the report" in reason
    assert store.stored == []
    assert document.section_body("risk") == "Crane hire is late."


async def test_other_editors_continue_after_rejection(
    collaboration: Collaboration, document: ReportDocument, store: Store
) -> None:
    room = MAX_BODY_CHARS - len(document.section_body("risk"))
    await collaboration.receive_binary(editor("ann"), Client(document).insert("x" * (room + 1)))

    outgoing = await collaboration.receive_binary(editor("bob"), Client(document).insert(" Ok."))

    assert outgoing == []
    assert len(store.stored) == 1
    assert document.section_body("risk") == "Crane hire is late. Ok."


async def test_update_creating_unknown_root_is_denied(
    collaboration: Collaboration, document: ReportDocument, store: Store
) -> None:
    client: Doc[Any] = Doc()
    client.apply_update(document.snapshot())
    before = client.get_state()
    client["scratch"] = Map({"note": "kept aside"})

    outgoing = await collaboration.receive_binary(
        editor("ann"), sync_update(client.get_update(before))
    )

    reason = denial_reason(outgoing)
    assert "'scratch'" in reason
    assert "top-level shared types" in reason
    assert store.stored == []
    assert "scratch" not in set(document.doc.keys())


@pytest.mark.parametrize("payload", [b"\x00", b"garbage bytes", b"\x01\x01\x05\x00\x28\x01"])
async def test_undecodable_update_closes_with_where_it_broke(
    collaboration: Collaboration, document: ReportDocument, store: Store, payload: bytes
) -> None:
    before = document.snapshot()

    outgoing = await collaboration.receive_binary(editor("ann"), sync_update(payload))

    assert len(outgoing) == 1
    close = outgoing[0]
    assert isinstance(close, Close)
    assert close.code == 4400
    assert close.reason.startswith("invalid Yjs update: Cannot decode update")
    assert store.stored == []
    assert document.snapshot() == before


@pytest.mark.parametrize(
    ("extra", "count"),
    [
        (b"\x00", "1 unexpected byte"),
        (b"\x00\x00", "2 unexpected bytes"),
        (b"trailing garbage", "16 unexpected bytes"),
    ],
)
async def test_update_with_trailing_bytes_is_rejected(
    collaboration: Collaboration,
    document: ReportDocument,
    store: Store,
    extra: bytes,
    count: str,
) -> None:
    client = Client(document)
    update = decode_message(client.insert(" Booked."))
    assert isinstance(update, SyncMessage)
    before = document.snapshot()

    outgoing = await collaboration.receive_binary(
        editor("ann"), sync_update(update.payload + extra)
    )

    assert len(outgoing) == 1
    close = outgoing[0]
    assert isinstance(close, Close)
    assert close.code == 4400
    assert close.reason == f"invalid Yjs update: {count} after its end"
    assert store.stored == []
    assert document.snapshot() == before


async def test_update_without_trailing_bytes_is_stored(
    collaboration: Collaboration, document: ReportDocument, store: Store
) -> None:
    outgoing = await collaboration.receive_binary(editor("ann"), Client(document).insert(" Ok."))

    assert outgoing == []
    assert len(store.stored) == 1
