"""The direct stream between a replica and a ReportActor built in-process, without Ray."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import msgpack
import pytest
from pycrdt import Assoc, Doc, Map, StickyIndex, Text

from actors.outbox import Close, Frame, FrameKind, Outgoing
from actors.report_actor import ReportActor
from actors.stream import (
    RequestFailedError,
    SharedFrame,
    StreamClient,
    StreamError,
    StreamTicket,
    encode,
    pack_items,
    read_message,
    unpack_items,
)
from crdt.protocol import SyncMessage, SyncStep, decode_message, sync_update


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


class Replica:
    """What a room gives its stream: the frames it delivered and the reason it ended."""

    def __init__(self) -> None:
        self.delivered: list[Outgoing] = []
        self.ended: list[str] = []
        self.needed = True

    async def still_needed(self) -> bool:
        return self.needed

    async def connect(self, ticket: StreamTicket) -> StreamClient:
        return await StreamClient.connect(
            ticket,
            deliver=self.delivered.extend,
            still_needed=self.still_needed,
            on_end=self.ended.append,
        )


async def scripted_actor(
    replies: list[list[Any]],
) -> tuple[asyncio.Server, Replica, StreamClient]:
    """Start a fake actor that reads the ticket and one request, then sends ``replies``.

    Returns the fake actor's server and a replica's stream connected to it.
    """

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_message(reader)  # the ticket
        await read_message(reader)  # the request
        for reply in replies:
            writer.write(encode(reply))
        await reader.read()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    replica = Replica()
    stream = await replica.connect(StreamTicket("subscription", "127.0.0.1", port, "secret"))
    return server, replica, stream


def edit_risk(actor: ReportActor, text: str) -> bytes:
    client: Doc[Any] = Doc()
    client.apply_update(actor._document.snapshot())
    before = client.get_state()
    body = client.get("sections", type=Map)["risk"]["body"]
    body.insert(len(body), text)
    return sync_update(client.get_update(before))


def updates(items: list[Outgoing]) -> list[Frame]:
    return [item for item in items if isinstance(item, Frame) and item.update is not None]


async def raw_stream(ticket: StreamTicket) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(ticket.host, ticket.port)


def test_items_survive_packing() -> None:
    items: list[Outgoing] = [
        Frame(FrameKind.BINARY, b"\x00\x02\x01", None, 12.5, b"\x01"),
        Frame(FrameKind.TEXT, '{"type": "ack"}', frozenset({"a", "b"})),
        Close(4503, "restarting", frozenset({"c"})),
    ]

    unpacked = unpack_items(msgpack.unpackb(msgpack.packb(pack_items(items)), raw=False))

    assert unpacked == items


def test_shared_frame_packs_once_per_stream() -> None:
    whole = Frame(FrameKind.BINARY, b"\x00\x01" + b"\x07" * 1000, shared_id=3)
    newer = Frame(FrameKind.BINARY, b"\x00\x01\x08", shared_id=4)
    whole_plain = Frame(FrameKind.BINARY, whole.payload)
    newer_plain = Frame(FrameKind.BINARY, newer.payload)
    sent, received = SharedFrame(), SharedFrame()
    replies: list[list[Outgoing]] = [[whole], [whole], [newer]]

    packed = [pack_items(reply, sent) for reply in replies]
    wire = [msgpack.unpackb(msgpack.packb(items), raw=False) for items in packed]
    unpacked = [unpack_items(items, received) for items in wire]

    assert wire[0][0][0] == "frame"
    assert wire[1] == [["shared", 3, None]]
    assert wire[2][0][0] == "frame"
    assert unpacked == [[whole_plain], [whole_plain], [newer_plain]]
    assert pack_items([whole])[0][-1] is None


async def test_joins_share_whole_document_frame(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    reader, writer = await raw_stream(ticket)
    writer.write(encode(["hello", ticket.subscription, ticket.secret]))
    for connection in ("first", "second"):
        await actor.connect(ticket.subscription, connection, "bob@example.com", "edit", "binary")

    replies: list[list[Any]] = []
    for request, connection in enumerate(("first", "second")):
        writer.write(encode(["recv", request, connection, b"\x00\x00\x01\x00"]))
        while len(replies) <= request:
            message = await asyncio.wait_for(read_message(reader), 5.0)
            if message[0] == "items" and message[1] == request:
                replies.append(message[2])
    shared = SharedFrame()
    first, second = (unpack_items(reply, shared) for reply in replies)

    assert replies[0][0][0] == "frame"
    assert replies[1][0][:2] == ["shared", replies[0][0][-1]]
    assert first[0] == second[0]
    assert isinstance(second[0], Frame)
    assert isinstance(second[0].payload, bytes)
    sync = decode_message(second[0].payload)
    assert isinstance(sync, SyncMessage)
    assert sync.step is SyncStep.STEP2
    client: Doc[Any] = Doc()
    client.apply_update(sync.payload)
    assert str(client.get("sections", type=Map)["risk"]["body"]) == "Crane hire is late."
    writer.close()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00\x10\x00" + b"\x00" * 4096, "exceeds the limit"),
        (b"\x00\x00\x00\x01\xc1", "undecodable"),
        (encode({"type": "recv"}), "must be an array"),  # type: ignore[arg-type]
        (b"\x00\x00\x00\x09\x92", "closed"),
    ],
    ids=["too long", "undecodable", "not an array", "cut short"],
)
async def test_bad_messages_raise_stream_error(data: bytes, message: str) -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()

    with pytest.raises(StreamError, match=message):
        await read_message(reader, limit=1024)


async def test_too_deeply_nested_message_is_named() -> None:
    # Arrays nested 3,000 deep, past the depth that msgpack decodes.
    body = b"\x91" * 3000 + b"\xc0"
    reader = asyncio.StreamReader()
    reader.feed_data(len(body).to_bytes(4, "big") + body)
    reader.feed_eof()

    with pytest.raises(StreamError, match="undecodable message: StackError"):
        await read_message(reader)


async def test_frame_in_and_broadcast_out(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    writer_side, observer_side = Replica(), Replica()
    stream = await writer_side.connect(ticket)
    observer = await observer_side.connect(await actor.open_stream())
    await actor.connect(ticket.subscription, "writer", "bob@example.com", "edit", "binary")
    before = actor._document.snapshot()

    replies = await stream.receive("writer", edit_risk(actor, " Now booked."))
    await until(lambda: bool(updates(observer_side.delivered)))

    assert replies == []
    [frame] = updates(observer_side.delivered)
    assert frame.kind is FrameKind.BINARY
    observed: Doc[Any] = Doc()
    observed.apply_update(before)
    observed.apply_update(frame.update or b"")
    body = observed.get("sections", type=Map)["risk"]["body"]
    assert str(body) == "Crane hire is late. Now booked."
    await stream.close()
    await observer.close()


async def test_failed_frame_replies_with_error(actor: ReportActor) -> None:
    replica = Replica()
    stream = await replica.connect(await actor.open_stream())

    with pytest.raises(StreamError, match="UnknownConnectionError"):
        await stream.receive("nobody", b"\x00\x00\x00")

    assert replica.ended == []
    await stream.close()


def pycrdt_panic() -> BaseException:
    """Return the PanicException that pycrdt raises for a Rust panic."""
    document: Doc[Any] = Doc()
    text = document.get("body", type=Text)
    try:
        # pycrdt 0.14.13 panics on a sticky index after the end of a text.
        StickyIndex.new(text, 0, Assoc.AFTER)
    except BaseException as error:  # PanicException derives from BaseException
        return error
    raise AssertionError("pycrdt no longer panics here; pick another panic")


async def test_panicking_frame_replies_with_error(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    panic = pycrdt_panic()

    async def receive(*args: Any) -> list[Outgoing]:
        raise panic

    monkeypatch.setattr(actor._stream, "_receive", receive)
    replica = Replica()
    stream = await replica.connect(await actor.open_stream())

    with pytest.raises(StreamError, match="PanicException"):
        await asyncio.wait_for(stream.receive("writer", b"\x00\x00\x00"), 5)

    assert replica.ended == []
    await stream.close()


async def test_wrong_secret_ends_stream(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    forged = StreamTicket(ticket.subscription, ticket.host, ticket.port, "not-the-secret")
    replica = Replica()
    stream = await replica.connect(forged)

    await until(lambda: bool(replica.ended))

    assert "closed" in replica.ended[0]
    with pytest.raises(StreamError):
        await stream.receive("writer", b"\x00")


async def test_ticket_works_once(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    first, second = Replica(), Replica()
    stream = await first.connect(ticket)
    await actor.connect(ticket.subscription, "writer", "bob@example.com", "edit", "binary")
    # Sync step 1 with an empty state vector: the actor replies with the whole document.
    reply = await stream.receive("writer", b"\x00\x00\x01\x00")

    await second.connect(ticket)
    await until(lambda: bool(second.ended))

    assert len(reply) == 1
    assert first.ended == []
    await stream.close()


async def test_garbage_after_ticket_drops_subscription(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    reader, writer = await raw_stream(ticket)
    writer.write(encode(["hello", ticket.subscription, ticket.secret]))

    writer.write(b"\x00\x00\x00\x03abc")
    await writer.drain()

    await until(lambda: ticket.subscription not in actor._outbox.subscriptions)
    assert await reader.read() == b""
    writer.close()


async def test_closing_stream_drops_subscription_and_connections(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    replica = Replica()
    stream = await replica.connect(ticket)
    await actor.connect(ticket.subscription, "writer", "bob@example.com", "edit", "binary")

    await stream.close()

    await until(lambda: ticket.subscription not in actor._outbox.subscriptions)
    assert actor._connections.get("writer") is None
    assert replica.ended == []


async def test_unneeded_stream_ends_without_closing_sockets(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("actors.stream.KEEPALIVE_SECONDS", 0.05)
    replica = Replica()
    replica.needed = False
    ticket = await actor.open_stream()

    await replica.connect(ticket)

    await until(lambda: ticket.subscription not in actor._outbox.subscriptions)
    assert replica.ended == []


async def test_stream_without_ticket_times_out(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("actors.stream.HELLO_SECONDS", 0.1)
    ticket = await actor.open_stream()
    reader, writer = await raw_stream(ticket)

    closed = await asyncio.wait_for(reader.read(), 5.0)

    assert closed == b""
    assert ticket.subscription in actor._outbox.subscriptions
    writer.close()


async def test_busy_stream_keeps_replica_heard(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("actors.stream.KEEPALIVE_SECONDS", 0.05)
    monkeypatch.setattr("actors.stream.SILENCE_SECONDS", 0.3)
    ticket = await actor.open_stream()
    writer_side, observer_side = Replica(), Replica()
    stream = await writer_side.connect(ticket)
    observer = await observer_side.connect(await actor.open_stream())
    await actor.connect(ticket.subscription, "writer", "bob@example.com", "edit", "binary")

    # The observer's replica sends no frames while broadcasts keep arriving for a second,
    # longer than the silence the actor tolerates.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        await stream.receive("writer", edit_risk(actor, "."))
        await asyncio.sleep(0.02)

    assert observer_side.ended == []
    assert writer_side.ended == []
    await stream.close()
    await observer.close()


async def test_unread_stream_is_aborted(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("actors.stream.MAX_REPLIES_IN_FLIGHT", 4)
    monkeypatch.setattr("actors.stream.SILENCE_SECONDS", 1.0)
    await actor.update_section(
        "risk", title=None, body="x" * 200_000, metrics=None, strategy="replace"
    )
    ticket = await actor.open_stream()
    await actor.connect(ticket.subscription, "reader", "bob@example.com", "edit", "binary")
    handled: list[str] = []
    receive = actor._stream._receive

    async def counting_receive(
        connection: str, frame: bytes | str, subscription: str
    ) -> list[Outgoing]:
        handled.append(connection)
        return await receive(connection, frame, subscription)

    monkeypatch.setattr(actor._stream, "_receive", counting_receive)
    # A small receive buffer, so that the kernel buffers few of the actor's replies.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((ticket.host, ticket.port))
    _, writer = await asyncio.open_connection(sock=sock)
    writer.write(encode(["hello", ticket.subscription, ticket.secret]))

    # Each sync step 1 requests the whole document, about 200 kB, and nothing is read. Its
    # state vector names an unknown client, so that each reply carries the document in full.
    for request in range(300):
        writer.write(encode(["recv", request, "reader", b"\x00\x00\x03\x01\x05\x00"]))
    await until(lambda: ticket.subscription not in actor._outbox.subscriptions, 30.0)

    assert len(handled) < 100
    assert actor._connections.get("reader") is None
    writer.close()


@pytest.mark.parametrize(
    "hello",
    [
        ["hello", None, "é" * 43],
        ["hello", None, b"secret"],
        ["hello", 7, None],
        ["hello", {"a": 1}, ["b"]],
    ],
    ids=["non-ascii secret", "binary secret", "number subscription", "nested values"],
)
async def test_malformed_ticket_ends_only_its_stream(
    actor: ReportActor, hello: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    ticket = await actor.open_stream()
    if hello[1] is None:
        hello[1] = ticket.subscription
    reader, writer = await raw_stream(ticket)

    writer.write(encode(hello))
    closed = await asyncio.wait_for(reader.read(), 5.0)
    other = await actor.open_stream()
    stream = await Replica().connect(other)
    await actor.connect(other.subscription, "writer", "bob@example.com", "edit", "binary")
    reply = await stream.receive("writer", b"\x00\x00\x01\x00")

    assert closed == b""
    assert len(reply) == 1
    assert [record for record in caplog.records if record.levelname == "ERROR"] == []
    writer.close()
    await stream.close()


@pytest.mark.parametrize(
    "message",
    [
        ["closed"],
        ["error", 0],
        ["error", [0], "failed"],
        ["items", 0],
        ["items", [0], []],
        ["items", 0, "not a list"],
        ["items", 0, [["frame"]]],
        ["items", 0, [["frame", "unknown kind", b"", None, None, None, None]]],
        ["items", 0, [["frame", "binary", b"", None, "yesterday", None, None]]],
        ["items", 0, [["frame", "binary", b"", None, None, None, "first"]]],
        ["items", 0, [["frame", "binary", b"", None, None, None]]],
        ["items", 0, [["shared", 1, None]]],
        ["items", 0, [["close", 1000, "bye", 5]]],
        ["items", 0, [["close", "1000", "bye", None]]],
        ["items", None, [["frame", "binary", b"", None, None, None, None, "extra"]]],
    ],
)
async def test_malformed_actor_message_ends_stream(
    message: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    server, replica, stream = await scripted_actor([message])

    with pytest.raises(StreamError) as raised:
        await stream.receive("writer", b"\x00")

    assert "the stream reader failed" not in str(raised.value)
    assert replica.ended == [str(raised.value)]
    assert [record for record in caplog.records if record.levelname == "ERROR"] == []
    server.close()


# A whole-document frame that the stream carries in full under the shared id 1.
_SHARED_DOCUMENT = ["frame", "binary", b"\x00\x01\x02", None, None, None, 1]


@pytest.mark.parametrize(
    ("messages", "problem"),
    [
        (
            [["items", 0, [_SHARED_DOCUMENT, ["shared", True, None]]]],
            "shared_id must be an integer",
        ),
        (
            [["items", None, [_SHARED_DOCUMENT]], ["items", 0, []]],
            "shared frames are allowed only in replies",
        ),
        (
            [
                ["items", 0, [_SHARED_DOCUMENT]],
                ["items", None, [["shared", 1, ["other"]]]],
            ],
            "shared frames are allowed only in replies",
        ),
        (
            [
                ["items", None, [["frame", "binary", b"\x00\x01\x09", None, None, None, 1]]],
                ["items", 0, [["shared", 1, None]]],
            ],
            "shared frames are allowed only in replies",
        ),
    ],
    ids=["bool id", "broadcast frame", "broadcast repeat", "broadcast then reply"],
)
async def test_misused_shared_frame_ends_stream(messages: list[list[Any]], problem: str) -> None:
    server, replica, stream = await scripted_actor(messages)

    request = asyncio.create_task(stream.receive("writer", b"\x00"))
    await until(lambda: bool(replica.ended))

    assert len(replica.ended) == 1
    assert problem in replica.ended[0]
    assert replica.delivered == []
    with contextlib.suppress(StreamError):
        await request
    server.close()


async def test_recv_with_invalid_request_id_ends_stream(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    reader, writer = await raw_stream(ticket)
    writer.write(encode(["hello", ticket.subscription, ticket.secret]))

    # A valid recv for an unknown connection gets an "error" reply that echoes the request id.
    writer.write(encode(["recv", {"nested": {"map": 1}}, "nobody", b"\x00\x00\x01\x00"]))

    assert await asyncio.wait_for(reader.read(), 5.0) == b""
    await until(lambda: ticket.subscription not in actor._outbox.subscriptions)
    writer.close()


async def test_connection_of_other_stream_is_unknown(actor: ReportActor) -> None:
    own, other = await actor.open_stream(), await actor.open_stream()
    stream = await Replica().connect(own)
    other_stream = await Replica().connect(other)
    await actor.connect(other.subscription, "theirs", "bob@example.com", "edit", "binary")

    with pytest.raises(StreamError, match="UnknownConnectionError"):
        await stream.receive("theirs", b"\x00\x00\x01\x00")
    reply = await other_stream.receive("theirs", b"\x00\x00\x01\x00")

    assert len(reply) == 1
    await stream.close()
    await other_stream.close()


async def test_unused_ticket_ends_with_subscription(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped, stale = await actor.open_stream(), await actor.open_stream()
    monkeypatch.setattr("actors.outbox.SUBSCRIPTION_TIMEOUT_SECONDS", 0.0)

    await actor.unsubscribe(dropped.subscription)
    await actor._housekeeping_round()

    assert dropped.subscription not in actor._stream._secrets
    assert stale.subscription not in actor._stream._secrets


async def test_connections_without_ticket_are_capped(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("actors.stream.MAX_CONNECTIONS_WITHOUT_TICKET", 2)
    # Long enough that only the cap can close the third connection within the test.
    monkeypatch.setattr("actors.stream.HELLO_SECONDS", 60.0)
    ticket = await actor.open_stream()
    idle = [await raw_stream(ticket) for _ in range(2)]
    await until(lambda: actor._stream._without_ticket == 2)

    reader, writer = await raw_stream(ticket)
    closed = await asyncio.wait_for(reader.read(), 5.0)
    for _, idle_writer in idle:
        idle_writer.close()
    writer.close()
    await until(lambda: actor._stream._without_ticket == 0)
    replica = Replica()
    stream = await replica.connect(ticket)
    await actor.connect(ticket.subscription, "writer", "bob@example.com", "edit", "binary")
    reply = await stream.receive("writer", b"\x00\x00\x01\x00")

    assert closed == b""
    assert len(reply) == 1
    assert replica.ended == []
    await stream.close()


async def test_join_and_leave_over_stream(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    stream = await Replica().connect(ticket)

    permission = await stream.permission_for("bob@example.com", "edit", False)
    initial = await stream.join("writer", "bob@example.com", "edit", "binary", False)
    joined = actor._connections.get("writer")
    stream.leave("writer")
    await until(lambda: actor._connections.get("writer") is None)

    assert permission == "edit"
    assert joined is not None
    assert joined.subscription == ticket.subscription
    # The welcome of a Yjs client starts with the server's sync step 1.
    assert isinstance(initial[0], Frame)
    assert initial[0].payload[:2] == b"\x00\x00"
    await stream.close()


async def test_non_participant_gets_no_permission(actor: ReportActor) -> None:
    await actor.start_session("live", {"ann@example.com": "view"}, "ann@example.com")
    stream = await Replica().connect(await actor.open_stream())

    refused = await stream.permission_for("eve@example.com", "edit", False)
    viewer = await stream.permission_for("ann@example.com", "edit", False)

    assert refused is None
    assert viewer == "view"
    await stream.close()


async def test_join_while_unloading_fails_request(actor: ReportActor) -> None:
    replica = Replica()
    stream = await replica.connect(await actor.open_stream())
    actor._unloading = True

    with pytest.raises(RequestFailedError, match="ReportUnloadingError") as refused:
        await stream.join("late", "bob@example.com", "edit", "binary", False)

    assert refused.value.unloading
    assert actor._connections.get("late") is None
    assert replica.ended == []
    await stream.close()


async def test_disconnect_of_other_stream_is_ignored(actor: ReportActor) -> None:
    own, other = await actor.open_stream(), await actor.open_stream()
    stream = await Replica().connect(own)
    other_stream = await Replica().connect(other)
    await other_stream.join("theirs", "bob@example.com", "edit", "binary", False)

    stream.leave("theirs")
    # A reply on the same stream shows that the actor has read the disconnect before it.
    await stream.permission_for("bob@example.com", "edit", False)

    assert actor._connections.get("theirs") is not None
    await stream.close()
    await other_stream.close()


async def ticketed_stream(
    ticket: StreamTicket,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await raw_stream(ticket)
    writer.write(encode(["hello", ticket.subscription, ticket.secret]))
    return reader, writer


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (["permission", True, "bob@example.com", "edit", False], "invalid request id True"),
        (["permission", "1", "bob@example.com", "edit", False], "invalid request id '1'"),
        (
            ["permission", msgpack.Timestamp(0), "bob@example.com", "edit", False],
            "invalid request id Timestamp",
        ),
        (["permission"], "invalid request id None"),
        (["permission", 1, "bob@example.com", "edit"], "permission carries"),
        (["permission", 1, "bob@example.com", "edit", False, "extra"], "permission carries"),
        (["permission", 1, "bob@example.com", "edit", 1], "permission carries"),
        (["permission", 1, 7, "edit", False], "permission carries"),
        (["permission", 1, "bob@example.com", None, False], "permission carries"),
        (["permission", 1, "bob@example.com", "edit", "yes"], "permission carries"),
        (["connect", False, "writer", "bob@example.com", "edit", "binary", False], "id False"),
        (["connect", 1, 7, "bob@example.com", "edit", "binary", False], "connect carries"),
        (["connect", 1, "writer", "bob@example.com", "edit", "binary"], "connect carries"),
        (["connect", 1, "writer", b"bob", "edit", "binary", False], "connect carries"),
        (["connect", 1, "writer", "bob@example.com", "edit", "binary", 0], "connect carries"),
        (
            ["connect", 1, "writer", "bob@example.com", "edit", "binary", False, None],
            "connect carries",
        ),
        (["connect", 1, "writer", "bob@example.com", ["edit"], "binary", False], "carries"),
        (["disconnect"], "disconnect carries"),
        (["disconnect", None], "disconnect carries"),
        (["disconnect", 7], "disconnect carries"),
        (["disconnect", b"writer"], "disconnect carries"),
        (["disconnect", "writer", "extra"], "disconnect carries"),
        (["hello", "subscription", "secret"], "unexpected message 'hello'"),
        (["bogus"], "unexpected message 'bogus'"),
        (["bogus", 1], "unexpected message 'bogus'"),
        (["subscribe", 1], "unexpected message 'subscribe'"),
        (["connect", 1, "w" * 10**7, "bob", "edit", "binary", False], "exceeds the limit"),
    ],
)
async def test_malformed_join_ends_only_its_stream(
    actor: ReportActor, message: list[Any], problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="actors.stream")
    neighbour = Replica()
    neighbour_stream = await neighbour.connect(await actor.open_stream())
    await neighbour_stream.join("writer", "ann@example.com", "edit", "binary", False)
    ticket = await actor.open_stream()
    reader, writer = await ticketed_stream(ticket)

    writer.write(encode(message))

    # The actor resets rather than closes a stream that it left with unread bytes.
    with contextlib.suppress(ConnectionResetError):
        assert await asyncio.wait_for(reader.read(), 5.0) == b""
    await until(lambda: ticket.subscription not in actor._outbox.subscriptions)
    assert actor._connections.of_subscription(ticket.subscription) == []
    ended = [r.getMessage() for r in caplog.records if "ended" in r.getMessage()]
    assert len(ended) == 1
    assert problem in ended[0]
    reply = await neighbour_stream.receive("writer", b"\x00\x00\x01\x00")
    assert len(reply) == 1
    assert neighbour.ended == []
    joined = actor._connections.get("writer")
    assert joined is not None
    assert joined.user == "ann@example.com"
    writer.close()
    await neighbour_stream.close()


@pytest.mark.parametrize("request_id", [-1, -(2**63), 2**64 - 1, 0])
async def test_request_ids_at_msgpack_limits_echo(actor: ReportActor, request_id: int) -> None:
    ticket = await actor.open_stream()
    reader, writer = await ticketed_stream(ticket)

    writer.write(encode(["permission", request_id, "bob@example.com", "edit", False]))
    writer.write(encode(["connect", request_id, "w", "bob@example.com", "edit", "text", False]))
    replies: list[list[Any]] = []
    while len(replies) < 2:
        message = await asyncio.wait_for(read_message(reader), 5.0)
        if message[1] is not None:  # not a broadcast such as the presence of "w"
            replies.append(message)

    assert ["result", request_id, "edit"] in replies
    assert [reply[:2] for reply in replies].count(["items", request_id]) == 1
    assert actor._connections.get("w") is not None
    writer.close()


@pytest.mark.parametrize(
    ("permission", "kind", "named"),
    [("owner", "binary", "'owner'"), ("edit", "video", "'video'"), ("", "text", "''")],
)
async def test_connect_invalid_value_fails_request(
    actor: ReportActor, permission: str, kind: str, named: str
) -> None:
    replica = Replica()
    stream = await replica.connect(await actor.open_stream())

    with pytest.raises(StreamError, match=named):
        await stream.join("bad", "bob@example.com", permission, kind, False)
    initial = await stream.join("good", "bob@example.com", "edit", "binary", False)

    assert actor._connections.get("bad") is None
    assert actor._connections.get("good") is not None
    assert actor._connections.presence()[0]["connections"] == 1
    assert len(initial) >= 1
    assert replica.ended == []
    await stream.close()


async def test_permission_with_invalid_role_fails(actor: ReportActor) -> None:
    replica = Replica()
    stream = await replica.connect(await actor.open_stream())

    with pytest.raises(StreamError, match="'owner'"):
        await stream.permission_for("bob@example.com", "owner", False)
    permission = await stream.permission_for("bob@example.com", "view", False)

    assert permission == "view"
    assert replica.ended == []
    await stream.close()


async def test_duplicate_id_from_other_stream_fails(actor: ReportActor) -> None:
    own_side, other_side = Replica(), Replica()
    own = await own_side.connect(await actor.open_stream())
    other = await other_side.connect(await actor.open_stream())
    await own.join("shared", "ann@example.com", "view", "binary", False)
    registered = actor._connections.get("shared")
    presence = actor._connections.presence()

    with pytest.raises(StreamError, match="shared"):
        await other.join("shared", "eve@example.com", "edit", "text", True)
    reply = await own.receive("shared", b"\x00\x00\x01\x00")

    assert actor._connections.get("shared") is registered
    assert registered is not None
    assert registered.user == "ann@example.com"
    assert actor._connections.presence() == presence
    assert len(reply) == 1
    assert own_side.ended == []
    assert other_side.ended == []
    await own.close()
    await other.close()


async def test_duplicate_id_on_same_stream_fails(actor: ReportActor) -> None:
    replica = Replica()
    stream = await replica.connect(await actor.open_stream())
    await stream.join("twice", "ann@example.com", "view", "binary", False)
    registered = actor._connections.get("twice")

    with pytest.raises(RequestFailedError, match="twice") as refused:
        await stream.join("twice", "eve@example.com", "edit", "binary", False)

    assert not refused.value.unloading
    assert actor._connections.get("twice") is registered
    assert replica.ended == []
    await stream.close()


async def test_disconnect_unknown_id_is_harmless(actor: ReportActor) -> None:
    replica = Replica()
    stream = await replica.connect(await actor.open_stream())
    await stream.join("writer", "bob@example.com", "edit", "binary", False)

    stream.leave("nobody")
    stream.leave("")
    stream.leave("x" * 100_000)
    reply = await stream.receive("writer", b"\x00\x00\x01\x00")

    assert len(reply) == 1
    assert actor._connections.get("writer") is not None
    assert replica.ended == []
    await stream.close()


async def test_join_before_ticket_ends_stream(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    reader, writer = await raw_stream(ticket)

    writer.write(encode(["connect", 0, "early", "bob@example.com", "edit", "binary", False]))
    writer.write(encode(["hello", ticket.subscription, ticket.secret]))
    closed = await asyncio.wait_for(reader.read(), 5.0)

    assert closed == b""
    assert actor._connections.get("early") is None
    replica = Replica()
    stream = await replica.connect(ticket)
    await stream.join("late", "bob@example.com", "edit", "binary", False)
    assert actor._connections.get("late") is not None
    writer.close()
    await stream.close()


async def test_unread_joins_abort_stream(
    actor: ReportActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The neighbour's keepalives keep it heard while the actor tolerates only 3 s of silence.
    # The neighbour shares the test's event loop, so a shorter silence fails it whenever the
    # machine is busy enough to stall that loop.
    monkeypatch.setattr("actors.stream.KEEPALIVE_SECONDS", 0.05)
    monkeypatch.setattr("actors.stream.SILENCE_SECONDS", 3.0)
    await actor.update_section(
        "risk", title=None, body="x" * 200_000, metrics=None, strategy="replace"
    )
    neighbour = Replica()
    neighbour_stream = await neighbour.connect(await actor.open_stream())
    await neighbour_stream.join("writer", "ann@example.com", "edit", "binary", False)
    ticket = await actor.open_stream()
    joined: list[str] = []
    connect = actor.connect

    async def counting_connect(
        subscription: str,
        connection: str,
        user: str,
        permission: str,
        kind: str,
        is_admin: bool = False,
    ) -> list[Outgoing]:
        joined.append(connection)
        return await connect(subscription, connection, user, permission, kind, is_admin)

    monkeypatch.setattr(actor, "connect", counting_connect)
    # A small receive buffer, so that the kernel buffers few of the actor's replies.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((ticket.host, ticket.port))
    _, writer = await asyncio.open_connection(sock=sock)
    writer.write(encode(["hello", ticket.subscription, ticket.secret]))

    # Each JSON welcome carries the whole document, about 200 kB, and nothing is read.
    for request in range(300):
        connection = f"json-{request}"
        writer.write(
            encode(["connect", request, connection, "bob@example.com", "view", "text", False])
        )
    await until(lambda: ticket.subscription not in actor._outbox.subscriptions, 30.0)

    assert 64 <= len(joined) < 100
    assert actor._connections.of_subscription(ticket.subscription) == []
    assert actor._connections.get("writer") is not None
    reply = await neighbour_stream.receive("writer", b"\x00\x00\x01\x00")
    assert len(reply) == 1
    writer.close()
    await neighbour_stream.close()


async def test_requests_beyond_limit_all_replied(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    reader, writer = await ticketed_stream(ticket)

    for request in range(200):
        writer.write(encode(["permission", request, "bob@example.com", "comment", False]))
    await writer.drain()
    await asyncio.sleep(0.2)
    replied: set[int] = set()
    while len(replied) < 200:
        reply = await asyncio.wait_for(read_message(reader), 5.0)
        assert reply[0] == "result"
        assert reply[2] == "comment"
        replied.add(reply[1])

    assert replied == set(range(200))
    writer.close()


@pytest.mark.parametrize(
    "reply",
    [
        ["result", 0, "edit"],
        ["result", 0, None],
        ["result", 0, [["frame", "binary", b"\x00", None, None, None, None]]],
    ],
    ids=["text", "none", "packed items"],
)
@pytest.mark.parametrize("request_name", ["connect", "recv"])
async def test_result_reply_to_items_request_raises(
    reply: list[Any], request_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    server, _, stream = await scripted_actor([reply])

    if request_name == "connect":
        request = stream.join("writer", "bob@example.com", "edit", "binary", False)
    else:
        request = stream.receive("writer", b"\x00")

    with pytest.raises(StreamError, match=f"replied .* to a {request_name}, not items"):
        await request

    assert [record for record in caplog.records if record.levelname == "ERROR"] == []
    await stream.close()
    server.close()


async def test_items_reply_to_permission_raises() -> None:
    server, _, stream = await scripted_actor([["items", 0, []]])

    with pytest.raises(StreamError, match="as a permission"):
        await stream.permission_for("bob@example.com", "edit", False)

    await stream.close()
    server.close()


async def test_disconnect_right_after_connect_drops_it(actor: ReportActor) -> None:
    ticket = await actor.open_stream()
    reader, writer = await raw_stream(ticket)
    writer.write(encode(["hello", ticket.subscription, ticket.secret]))

    # Both messages arrive in one read, as when a client leaves while it joins.
    writer.write(
        encode(["connect", 1, "brief", "bob@example.com", "edit", "binary", False])
        + encode(["disconnect", "brief"])
    )
    await writer.drain()
    # Broadcasts (the presence of the joining connection) may come before the reply.
    reply = await asyncio.wait_for(read_message(reader), 5.0)
    while reply[1] is None:
        reply = await asyncio.wait_for(read_message(reader), 5.0)
    await until(lambda: not actor._stream._tasks)

    assert reply[:2] == ["items", 1]
    assert actor._connections.get("brief") is None
    writer.close()
