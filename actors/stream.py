"""A direct TCP stream between a Serve replica and a report actor, for live co-editing frames.

In a traced fan-out run on the 2-core benchmark machine (outside bench/), a Ray actor
call took 1.0 to 1.5 ms at the median. Every edit made two such calls: the client's frame
into the actor, and the broadcast back out through a long poll. Instead, the room of each
replica opens one stream per report, with a ticket from an ordinary Ray call
(``ReportActor.open_stream``).
The stream carries the client frames in and, in order, the actor's replies and broadcasts
out. Once a replica's room is open, the sockets that join and leave it go over the stream
too, so that fifty clients opening a report at once make no Ray calls. Everything else
(opening the room, REST) stays a Ray call.

Wire format: each message is a 4-byte big-endian length and a msgpack array whose first
element names it.

- replica to actor: ``["hello", subscription, secret]`` once, then
  ``["recv", request, connection, frame]``,
  ``["permission", request, user, role_permission, is_admin]``,
  ``["connect", request, connection, user, permission, kind, is_admin]``,
  ``["disconnect", connection]`` and ``["ping"]``;
- actor to replica: ``["items", request or None, [outgoing...]]`` (None for broadcasts and
  keepalives), ``["result", request, value]`` (a permission or None),
  ``["error", request, message]`` (the message starts with the error's class name) and
  ``["closed", reason]``.

A reply item is ``["frame", kind, payload, targets, stored_at, update, shared_id]``,
``["close", code, reason, targets]`` or ``["shared", shared_id, targets]``. The last one
repeats the frame that the stream carried last with that ``shared_id``: fifty clients
opening a report of a megabyte cost the stream one megabyte, not fifty.

The actor writes each broadcast to the streams as it is published. Where frames already
wait for a stream, it queues behind them, and that stream's pump sends them in order.

The actor listens on its node's address. A connection must present the ticket's secret
first; the secret is single-use and travels only inside Ray's own calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import itertools
import logging
import secrets
import struct
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeGuard

import msgpack
import ray

from actors import metrics
from actors.errors import ReportUnloadingError
from actors.outbox import Close, Frame, FrameKind, Outbox, Outgoing, SubscriptionClosedError

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct("!I")
# How long a new connection may take to present its ticket.
HELLO_SECONDS = 5.0
# An idle stream carries a keepalive this often in each direction.
KEEPALIVE_SECONDS = 10.0
# A stream silent for this long is taken for dead (a node that vanished sends no FIN).
SILENCE_SECONDS = 30.0
# Room for a message's envelope around a client frame of the largest allowed size.
_ENVELOPE_BYTES = 4096
# Max connections that may wait for their ticket together. Later ones are closed on arrival,
# so that connections which never present a ticket cannot use up the file descriptors.
MAX_CONNECTIONS_WITHOUT_TICKET = 32
# Max replies to recv messages that one stream may have in progress or unsent. Further recv
# messages wait unread, so a replica that stops reading costs at most this many replies.
MAX_REPLIES_IN_FLIGHT = 64
# Broadcasts are written to a replica's stream as they are published while less than this
# waits unsent in it. Beyond that they queue for the pump, which waits for the replica.
DIRECT_WRITE_BYTES = 256 * 1024

# Handles a frame: connection id, frame, and the subscription of the stream it came over.
Receive = Callable[[str, bytes | str, str], Awaitable[list[Outgoing]]]
Unsubscribe = Callable[[str], Awaitable[None]]


class Joining(Protocol):
    """The report actor's methods that the stream calls when sockets join and leave."""

    async def permission_for(
        self, user: str, role_permission: str, is_admin: bool
    ) -> str | None: ...

    async def connect(
        self,
        subscription_id: str,
        connection_id: str,
        user: str,
        permission: str,
        kind: str,
        is_admin: bool = False,
    ) -> list[Outgoing]: ...

    async def disconnect(self, connection_id: str, subscription_id: str | None = None) -> None: ...


class StreamError(Exception):
    """The stream broke, its peer broke the protocol, or the actor failed a request."""


class RequestFailedError(StreamError):
    """An error reply from the actor to one request; the stream itself stays open.

    ``unloading`` is true when the actor rejected the request because it unloads, so its
    stream ends soon, and false when it rejected this request alone.
    """

    def __init__(self, message: str, *, unloading: bool) -> None:
        super().__init__(message)
        self.unloading = unloading


@dataclass(frozen=True, slots=True)
class StreamTicket:
    """The address and single-use secret with which a replica opens a report's stream."""

    subscription: str
    host: str
    port: int
    secret: str


def encode(message: list[Any]) -> bytes:
    """Return ``message`` framed for the stream."""
    body: bytes = msgpack.packb(message, use_bin_type=True)
    return _LENGTH.pack(len(body)) + body


async def read_message(reader: asyncio.StreamReader, limit: int | None = None) -> list[Any]:
    """Read one message; raise StreamError on a closed stream or a malformed message.

    Args:
        limit: the largest body accepted, in bytes; None accepts any size.
    """
    try:
        (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
        if limit is not None and size > limit:
            raise StreamError(f"message of {size:,} bytes exceeds the limit of {limit:,}")
        body = await reader.readexactly(size)
    except (asyncio.IncompleteReadError, ConnectionError) as error:
        raise StreamError(f"the stream closed: {error}") from error
    try:
        message = msgpack.unpackb(body, raw=False)
    except (ValueError, msgpack.UnpackException) as error:
        # msgpack's StackError (nesting deeper than it decodes) carries no text of its own.
        detail = str(error) or type(error).__name__
        raise StreamError(f"undecodable message: {detail}") from error
    if not isinstance(message, list) or not message or not isinstance(message[0], str):
        raise StreamError("a message must be an array that starts with its name")
    return message


@dataclass(slots=True)
class SharedFrame:
    """The last frame with a ``shared_id`` that one stream carried in full.

    The actor's end keeps the id, to send only the id again. The replica's end keeps the
    frame, to rebuild it from the id.
    """

    shared_id: int | None = None
    frame: Frame | None = None


def pack_items(items: list[Outgoing], shared: SharedFrame | None = None) -> list[list[Any]]:
    """Return frames and closes as plain msgpack values.

    Args:
        shared: the stream's last shared frame, at the actor's end. The caller writes the
            result before it packs the next reply for the stream. None sends shared frames
            in full, as plain frames.
    """
    packed: list[list[Any]] = []
    for item in items:
        targets = sorted(item.targets) if item.targets is not None else None
        if isinstance(item, Close):
            packed.append(["close", item.code, item.reason, targets])
            continue
        shared_id = item.shared_id if shared is not None else None
        if shared is not None and shared_id is not None:
            if shared.shared_id == shared_id:
                packed.append(["shared", shared_id, targets])
                continue
            shared.shared_id = shared_id
        packed.append(
            [
                "frame",
                item.kind.value,
                item.payload,
                targets,
                item.stored_at,
                item.update,
                shared_id,
            ]
        )
    return packed


def unpack_items(values: Any, shared: SharedFrame | None = None) -> list[Outgoing]:
    """Return the frames and closes that ``pack_items`` packed.

    Args:
        shared: the stream's last shared frame, updated from ``values``. None rejects
            shared frames, as in broadcasts, which ``pack_items`` packs without them.

    Raises:
        StreamError: ``values`` is not a list of packed frames and closes, it refers to
            a shared frame that the stream did not carry, or it carries a shared frame
            where ``shared`` is None.
    """
    if not isinstance(values, list):
        raise StreamError(f"items must be a list, got {type(values).__name__}")
    items: list[Outgoing] = []
    for value in values:
        try:
            items.append(_unpack_item(value, shared))
        except (TypeError, ValueError) as error:
            raise StreamError(f"malformed item {value!r:.200}: {error}") from error
    return items


# The actor packs broadcasts without shared frames, so a broadcast with one comes from a
# broken peer.
_SHARED_ONLY_IN_REPLIES = "shared frames are allowed only in replies to requests"


def _unpack_item(value: Any, shared: SharedFrame | None) -> Outgoing:
    match value:
        case ["close", int() as code, str() as reason, targets]:
            return Close(code, reason, _unpack_targets(targets))
        case ["shared", shared_id, targets]:
            if not _is_request(shared_id):
                raise TypeError("shared_id must be an integer")
            if shared is None:
                raise ValueError(_SHARED_ONLY_IN_REPLIES)
            if shared.frame is None or shared.shared_id != shared_id:
                raise ValueError(f"shared frame {shared_id} was not carried by this stream")
            return Frame(shared.frame.kind, shared.frame.payload, _unpack_targets(targets))
        case [
            "frame",
            str() as kind,
            bytes() | str() as payload,
            targets,
            stored_at,
            update,
            shared_id,
        ]:
            if stored_at is not None and not isinstance(stored_at, int | float):
                raise TypeError("stored_at must be a number or None")
            if update is not None and not isinstance(update, bytes):
                raise TypeError("update must be bytes or None")
            if shared_id is not None and not _is_request(shared_id):
                raise TypeError("shared_id must be an integer or None")
            if shared is None and shared_id is not None:
                raise ValueError(_SHARED_ONLY_IN_REPLIES)
            frame = Frame(FrameKind(kind), payload, _unpack_targets(targets), stored_at, update)
            if shared is not None and shared_id is not None:
                shared.shared_id, shared.frame = shared_id, frame
            return frame
    raise ValueError("expected a packed frame or close")


def _unpack_targets(targets: Any) -> frozenset[str] | None:
    if targets is None:
        return None
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise TypeError("targets must be a list of connection ids or None")
    return frozenset(targets)


# The fields after the request id of each message that the actor replies to, for errors.
_REQUEST_SHAPES = {
    "recv": "a connection id and a binary or text frame",
    "permission": "a user, the permission of their role and whether they are an admin",
    "connect": "a connection id, user, permission, frame kind and admin flag",
}


def _is_request(value: Any) -> TypeGuard[int]:
    """Return whether ``value`` is a request id: an integer that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def node_host() -> str:
    """Return the address of this process's Ray node, or loopback outside Ray."""
    if not ray.is_initialized():
        return "127.0.0.1"
    node_id = ray.get_runtime_context().get_node_id()
    for node in ray.nodes():  # type: ignore[no-untyped-call]
        if node.get("NodeID") == node_id:
            return str(node["NodeManagerAddress"])
    return "127.0.0.1"


class StreamServer:
    """The report actor's end: accepts replica streams and serves their subscriptions.

    Started by the first ``ticket`` call and stopped by ``stop``.
    """

    def __init__(
        self,
        outbox: Outbox,
        receive: Receive,
        unsubscribe: Unsubscribe,
        joining: Joining,
        *,
        frame_limit: int,
        host: Callable[[], str] = node_host,
    ) -> None:
        self._outbox = outbox
        self._receive = receive
        self._unsubscribe = unsubscribe
        self._joining = joining
        self._host = host
        self._limit = frame_limit + _ENVELOPE_BYTES
        self._secrets: dict[str, str] = {}
        self._server: asyncio.Server | None = None
        self._address: tuple[str, int] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._without_ticket = 0

    async def ticket(self, subscription: str) -> StreamTicket:
        """Return a single-use ticket for the replica that owns ``subscription``."""
        host, port = await self._listen()
        secret = secrets.token_urlsafe(32)
        self._secrets[subscription] = secret
        return StreamTicket(subscription, host, port, secret)

    def forget(self, subscription: str) -> None:
        """Invalidate the unused ticket of ``subscription``, if any, once it is gone."""
        self._secrets.pop(subscription, None)

    async def stop(self) -> None:
        """Stop listening and close every stream; their replicas close their sockets."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()

    async def _listen(self) -> tuple[str, int]:
        if self._address is None:
            host = await asyncio.to_thread(self._host)
            self._server = await asyncio.start_server(self._serve, host, 0)
            port = self._server.sockets[0].getsockname()[1]
            self._address = (host, port)
            logger.info("report stream listening on %s:%d", host, port)
        return self._address

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Nothing awaits a connection's task, so its cancellation (on ``stop``) ends it quietly.
        with contextlib.suppress(asyncio.CancelledError):
            await self._serve_stream(reader, writer)

    async def _serve_stream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        subscription: str | None = None
        if self._without_ticket >= MAX_CONNECTIONS_WITHOUT_TICKET:
            logger.warning(
                "report stream from %s closed: %d connections already wait for their ticket",
                _peer_name(writer),
                self._without_ticket,
            )
            writer.close()
            return
        self._writers.add(writer)
        try:
            self._without_ticket += 1
            try:
                subscription = await self._hello(reader)
            finally:
                self._without_ticket -= 1
            await self._session(subscription, reader, writer)
        except StreamError as error:
            logger.info("report stream from %s ended: %s", _peer_name(writer), error)
        finally:
            self._writers.discard(writer)
            writer.close()
            if subscription is not None:
                await self._unsubscribe(subscription)

    async def _hello(self, reader: asyncio.StreamReader) -> str:
        try:
            message = await asyncio.wait_for(read_message(reader, 1024), HELLO_SECONDS)
        except TimeoutError as error:
            raise StreamError(f"no ticket within {HELLO_SECONDS:.0f} s") from error
        if len(message) != 3 or message[0] != "hello":
            raise StreamError("the first message must be the ticket (hello)")
        _, subscription, secret = message
        if not isinstance(subscription, str) or not isinstance(secret, str):
            raise StreamError("the ticket (hello) must carry its subscription and secret as text")
        expected = self._secrets.pop(subscription, None)
        # Compared as bytes, because compare_digest rejects str with non-ASCII characters.
        if expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
            raise StreamError("the ticket is unknown, used or wrong")
        return subscription

    async def _session(
        self, subscription: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        pump = asyncio.get_running_loop().create_task(self._pump(subscription, writer))
        replies = asyncio.Semaphore(MAX_REPLIES_IN_FLIGHT)
        shared = SharedFrame()
        self._outbox.attach(subscription, functools.partial(_write_now, writer))
        try:
            while not pump.done():
                try:
                    async with asyncio.timeout(SILENCE_SECONDS):
                        message = await read_message(reader, self._limit)
                except TimeoutError as error:
                    raise StreamError(f"silent for {SILENCE_SECONDS:.0f} s") from error
                await self._dispatch(message, subscription, writer, replies, shared)
        finally:
            self._outbox.attach(subscription, None)
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump

    async def _dispatch(
        self,
        message: list[Any],
        subscription: str,
        writer: asyncio.StreamWriter,
        replies: asyncio.Semaphore,
        shared: SharedFrame,
    ) -> None:
        name = message[0]
        if name == "ping":
            return
        if name == "disconnect":
            match message:
                case [_, str() as connection]:
                    # A task, as requests are, so that a connect read just before it has
                    # registered the connection by the time this drops it.
                    leave = self._joining.disconnect(connection, subscription)
                    self._track(asyncio.get_running_loop().create_task(leave))
                    return
            raise StreamError("disconnect carries one connection id")
        if name not in _REQUEST_SHAPES:
            raise StreamError(f"unexpected message {name!r:.200}")
        request = message[1] if len(message) > 1 else None
        if not _is_request(request):
            raise StreamError(f"{name!r} carries the invalid request id {request!r:.200}")
        answer = self._answer(message, subscription, shared)
        # One task per request, so that a write waiting for storage delays no other frame. A
        # replica sends a socket's next frame only after this one's reply, keeping order.
        # Each reply takes a slot of ``replies`` until the replica has read it.
        await replies.acquire()
        if writer.is_closing():  # a reply's write aborted the stream meanwhile
            replies.release()
            answer.close()
            raise StreamError("the stream closed while replies waited to be sent")
        task = asyncio.get_running_loop().create_task(self._reply(writer, request, answer))
        task.add_done_callback(lambda _: replies.release())
        self._track(task)

    def _track(self, task: asyncio.Task[None]) -> None:
        """Keep ``task`` until it ends, so that ``stop`` can cancel it."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _answer(
        self, message: list[Any], subscription: str, shared: SharedFrame
    ) -> Coroutine[Any, Any, list[Any]]:
        """Return the coroutine that builds a request's reply; raise StreamError if malformed."""
        match message:
            case ["recv", int() as request, str() as connection, bytes() | str() as frame]:
                receive = functools.partial(self._receive, connection, frame, subscription)
                return self._items(request, receive, shared)
            case ["permission", int() as request, str() as user, str() as role, bool() as admin]:
                return self._result(
                    request, functools.partial(self._joining.permission_for, user, role, admin)
                )
            case [
                "connect",
                int() as request,
                str() as connection,
                str() as user,
                str() as permission,
                str() as kind,
                bool() as admin,
            ]:
                joined = functools.partial(
                    self._joining.connect, subscription, connection, user, permission, kind, admin
                )
                return self._items(request, joined, shared)
        raise StreamError(f"{message[0]} carries {_REQUEST_SHAPES[message[0]]}")

    @staticmethod
    async def _items(
        request: int, call: Callable[[], Awaitable[list[Outgoing]]], shared: SharedFrame
    ) -> list[Any]:
        # ``_reply`` writes the reply with no await after this pack, so the replica reads
        # shared frames in the order in which they were packed.
        return ["items", request, pack_items(await call(), shared)]

    @staticmethod
    async def _result(request: int, call: Callable[[], Awaitable[str | None]]) -> list[Any]:
        return ["result", request, await call()]

    @staticmethod
    async def _reply(
        writer: asyncio.StreamWriter, request: int, answer: Coroutine[Any, Any, list[Any]]
    ) -> None:
        try:
            message = await answer
        except Exception as error:  # the replica fails that request and reports it
            message = ["error", request, f"{type(error).__name__}: {error}"]
        except BaseException as error:
            # pyo3 raises a Rust panic in pycrdt as PanicException, a BaseException that
            # cannot be imported. Without a reply, the replica would wait for one forever and
            # pass on no further frame of that socket.
            if type(error).__name__ != "PanicException":
                raise
            logger.exception("report stream request %s failed with a pycrdt panic", request)
            message = ["error", request, f"PanicException: {error}"]
        with contextlib.suppress(ConnectionError, StreamError):
            await _send(writer, message)

    async def _pump(self, subscription: str, writer: asyncio.StreamWriter) -> None:
        """Write the subscription's frames as they are published; a keepalive when idle.

        Closing the writer when this ends also ends the session's read loop.
        """
        try:
            while True:
                try:
                    items = await self._outbox.poll(subscription, KEEPALIVE_SECONDS)
                except SubscriptionClosedError as error:
                    await _send(writer, ["closed", error.reason])
                    return
                _observe_fanout(items)
                await _send(writer, ["items", None, pack_items(items)])
        finally:
            writer.close()


def _write_now(writer: asyncio.StreamWriter, items: list[Outgoing]) -> bool:
    """Write broadcast frames at once, unless the replica's stream is backed up or closing.

    A declined frame goes through the subscription's queue and the pump, whose write waits
    for the replica to drain the stream and gives up on one that stopped reading.
    """
    if writer.is_closing() or writer.transport.get_write_buffer_size() > DIRECT_WRITE_BYTES:
        return False
    _observe_fanout(items)
    writer.write(encode(["items", None, pack_items(items)]))
    return True


def _observe_fanout(items: list[Outgoing]) -> None:
    handed_at = time.time()
    for item in items:
        if isinstance(item, Frame) and item.stored_at is not None:
            metrics.fanout_observed(handed_at - item.stored_at)


async def _send(writer: asyncio.StreamWriter, message: list[Any]) -> None:
    """Write ``message`` and wait until the replica takes it in.

    Raises:
        StreamError: the replica stopped reading, so that what waited to be sent did not
            drain within ``SILENCE_SECONDS``. The connection is then aborted, because
            closing it would keep the unsent bytes until they are read.
    """
    writer.write(encode(message))
    try:
        # Unlike Python 3.11's wait_for, a timeout block never swallows a cancellation that
        # arrives as the drain completes, so ``_session`` can always stop the pump.
        async with asyncio.timeout(SILENCE_SECONDS):
            await writer.drain()
    except TimeoutError as error:
        peer = _peer_name(writer)
        if not writer.is_closing():  # log once when several replies time out
            logger.warning(
                "report stream to %s aborted: it stopped reading for %.0f s", peer, SILENCE_SECONDS
            )
            writer.transport.abort()
        raise StreamError(f"{peer} stopped reading for {SILENCE_SECONDS:.0f} s") from error


def _peer_name(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "an unknown peer"


class StreamClient:
    """A replica's end of one report stream: opened by ``connect``, ended by ``close``.

    Broadcasts go to ``deliver`` as they arrive. On each keepalive, ``still_needed`` returns
    whether to keep the stream. A stream that ends for any other reason than ``close`` or a
    False from ``still_needed`` calls ``on_end`` with the reason, so the room can close its
    sockets.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        deliver: Callable[[list[Outgoing]], None],
        still_needed: Callable[[], Awaitable[bool]],
        on_end: Callable[[str], None],
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._deliver = deliver
        self._still_needed = still_needed
        self._on_end = on_end
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._requests = itertools.count()
        self._ended: str | None = None
        self._last_write = time.monotonic()
        self._shared = SharedFrame()
        self._task = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(
        cls,
        ticket: StreamTicket,
        *,
        deliver: Callable[[list[Outgoing]], None],
        still_needed: Callable[[], Awaitable[bool]],
        on_end: Callable[[str], None],
    ) -> StreamClient:
        """Open the stream that ``ticket`` names.

        Raises:
            StreamError: the actor's address could not be reached in time.
        """
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(ticket.host, ticket.port), HELLO_SECONDS
            )
        except (OSError, TimeoutError) as error:
            raise StreamError(
                f"cannot reach the report actor's stream at {ticket.host}:{ticket.port} "
                f"({error or type(error).__name__}); the Serve replicas must reach every "
                "Ray node's addresses"
            ) from error
        writer.write(encode(["hello", ticket.subscription, ticket.secret]))
        return cls(reader, writer, deliver=deliver, still_needed=still_needed, on_end=on_end)

    async def receive(self, connection: str, frame: bytes | str) -> list[Outgoing]:
        """Pass a client frame to the actor; return what goes back to that client only.

        Raises:
            StreamError: the stream ended, or the actor failed to handle the frame.
        """
        return await self._request_items("recv", connection, frame)

    async def permission_for(self, user: str, role_permission: str, is_admin: bool) -> str | None:
        """Request the permission ``user`` gets from the actor; None means rejected.

        Raises:
            StreamError: the stream ended, or the actor failed the request.
        """
        permission = await self._request("permission", user, role_permission, is_admin)
        if permission is not None and not isinstance(permission, str):
            raise StreamError(f"the report actor returned {permission!r:.200} as a permission")
        return permission

    async def join(
        self, connection: str, user: str, permission: str, kind: str, is_admin: bool
    ) -> list[Outgoing]:
        """Register a socket with the actor; return the frames it starts with.

        Raises:
            StreamError: the stream ended, its reply carried no items, or the actor rejected
                the connection because it is unloading, the id is registered already or a
                value is invalid.
        """
        return await self._request_items("connect", connection, user, permission, kind, is_admin)

    def leave(self, connection: str) -> None:
        """Tell the actor that a socket left; a stream that ended has already dropped it."""
        if self._ended is None:
            self._send(["disconnect", connection])

    async def _request_items(self, name: str, *arguments: Any) -> list[Outgoing]:
        """Send a request whose reply carries items; return the items.

        Raises:
            StreamError: the stream ended, the actor failed, or its reply carried no items.
        """
        items = await self._request(name, *arguments)
        # A "result" reply settles the request with its value as sent, not unpacked.
        if not isinstance(items, list) or not all(isinstance(i, Frame | Close) for i in items):
            raise StreamError(f"the report actor replied {items!r:.200} to a {name}, not items")
        return items

    async def _request(self, name: str, *arguments: Any) -> Any:
        if self._ended is not None:
            raise StreamError(self._ended)
        request = next(self._requests)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request] = future
        try:
            self._send([name, request, *arguments])
            await self._writer.drain()
            return await future
        except ConnectionError as error:
            raise StreamError(f"the stream closed: {error}") from error
        finally:
            self._pending.pop(request, None)

    async def close(self) -> None:
        """End the stream; the actor then drops this replica's subscription."""
        self._finish("the room closed")
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _read(self) -> None:
        reason = "the report actor closed the stream"
        try:
            while await self._handle(await self._next()):
                pass
            reason = ""
        except StreamError as error:
            reason = str(error)
        except Exception as error:  # a bug here must still close the room's sockets
            logger.exception("report stream reader failed")
            reason = f"the stream reader failed: {type(error).__name__}: {error}"
        if self._finish(reason or "the room has no sockets left") and reason:
            self._on_end(reason)

    async def _next(self) -> list[Any]:
        try:
            async with asyncio.timeout(SILENCE_SECONDS):
                return await read_message(self._reader)
        except TimeoutError as error:
            silence = f"the report actor was silent for {SILENCE_SECONDS:.0f} s"
            raise StreamError(silence) from error

    async def _handle(self, message: list[Any]) -> bool:
        """Act on one message; return False once the stream is no longer needed."""
        name = message[0]
        if name == "closed" and len(message) == 2:
            raise StreamError(f"the report actor closed the stream: {message[1]}")
        if name == "error" and len(message) == 3 and _is_request(message[1]):
            text = str(message[2])
            unloading = text.startswith(f"{ReportUnloadingError.__name__}:")
            failure = RequestFailedError(f"the report actor failed: {text}", unloading=unloading)
            self._settle(message[1], failure)
            return True
        if name == "result" and len(message) == 3 and _is_request(message[1]):
            self._settle(message[1], message[2])
            return True
        if name != "items" or len(message) != 3:
            raise StreamError(f"unexpected message {message!r:.200} from the report actor")
        _, request, values = message
        if request is not None and not _is_request(request):
            raise StreamError(f"items for the invalid request id {request!r:.200}")
        items = unpack_items(values, self._shared if request is not None else None)
        if request is not None:
            self._settle(request, items)
            return True
        # A replica that only receives broadcasts still pings, or the actor would take its
        # silence for a dead replica.
        if time.monotonic() - self._last_write >= KEEPALIVE_SECONDS:
            self._send(["ping"])
        if items:
            self._deliver(items)
            return True
        return await self._still_needed()

    def _send(self, message: list[Any]) -> None:
        self._writer.write(encode(message))
        self._last_write = time.monotonic()

    def _settle(self, request: int, outcome: Any) -> None:
        future = self._pending.get(request)
        if future is None or future.done():
            return
        if isinstance(outcome, StreamError):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    def _finish(self, reason: str) -> bool:
        """Mark the stream ended and fail what waits on it; return False if it already was."""
        if self._ended is not None:
            return False
        self._ended = reason
        self._writer.close()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(StreamError(reason))
        return True
