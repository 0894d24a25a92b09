"""Per-replica fan-out: one stream to each report actor, shared by the local sockets.

The actor sends each outgoing frame once per replica over the room's stream
(actors/stream.py); the room here copies it into each socket's bounded send queue. A
socket whose queue is full is closed (4429) rather than skipped, because a Yjs client that
misses one update stays out of sync.

NOTE: every frame costs one socket write per client here and another in HAProxy. On the
2-core benchmark machines, with 200 observers of one report the server kept the writer's
50 updates a second at a p99 of 13 to 564 ms over ten runs, against 12 to 133 ms for the
reference server (docs/benchmarks.md, live co-editing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from fastapi import WebSocket
from ray.exceptions import RayActorError, RayTaskError

from actors import report_actor_handle
from actors.connections import CLOSE_SERVICE_RESTART, CLOSE_SLOW_CONSUMER
from actors.outbox import Close, Frame, FrameKind, Outgoing, coalesce_updates
from actors.stream import StreamClient, StreamError
from config import Settings
from crdt import RelayedAwareness

logger = logging.getLogger(__name__)

# How long a closing socket may take to flush its queue and send its close frame.
_CLOSE_GRACE_SECONDS = 2.0
_MAX_REASON_BYTES = 123


class Peer:
    """One local WebSocket with its send queue and writer task."""

    def __init__(self, websocket: WebSocket, kind: FrameKind, queue_frames: int) -> None:
        self.id = uuid.uuid4().hex
        self.websocket = websocket
        self.kind = kind
        self._limit = queue_frames
        # Unbounded as a container so the closing sentinel always fits; ``deliver`` keeps
        # the frames within ``queue_frames``.
        self._queue: asyncio.Queue[Frame | Close] = asyncio.Queue()
        self._writer = asyncio.get_running_loop().create_task(self._write())
        self.closed = asyncio.Event()
        # Room frames that arrive before the actor's first frames (a JSON client's welcome)
        # wait here, so that those first frames go out first.
        self._early: list[Frame] | None = []

    def deliver(self, item: Frame, *, first: bool = False) -> None:
        """Queue a frame; room frames wait until ``release`` unless ``first`` is set."""
        if self.closed.is_set() or item.kind is not self.kind:
            return
        if self._early is not None and not first:
            self._early.append(item)
            return
        if self._queue.qsize() >= self._limit:
            self.close(
                CLOSE_SLOW_CONSUMER, "send queue full: the client reads too slowly; reconnect"
            )
            return
        self._queue.put_nowait(item)

    def release(self) -> None:
        """Send the room frames kept back while the first frames were not yet queued."""
        early, self._early = self._early or [], None
        for item in early:
            self.deliver(item)

    def drop_early_frames(self) -> None:
        """Drop the room frames kept back, because the socket joins a room afresh."""
        if self._early is not None:
            self._early.clear()

    def close(self, code: int, reason: str) -> None:
        """Close the socket once the frames already queued are sent; idempotent."""
        if self.closed.is_set():
            return
        self.closed.set()
        self._queue.put_nowait(Close(code, reason))

    async def _write(self) -> None:
        try:
            while True:
                queued = [await self._queue.get()]
                while not self._queue.empty():
                    queued.append(self._queue.get_nowait())
                # Updates that queued up while the socket was busy go out as one frame.
                for item in coalesce_updates(queued):
                    if isinstance(item, Close):
                        await self.websocket.close(code=item.code, reason=_close_reason(item))
                        return
                    if isinstance(item.payload, bytes):
                        await self.websocket.send_bytes(item.payload)
                    else:
                        await self.websocket.send_text(item.payload)
        except Exception as error:  # the socket went away; its reader notices and leaves
            logger.debug("peer %s writer stopped: %s", self.id, error)
            self.closed.set()

    async def stop(self) -> None:
        """Stop the writer, letting a pending close frame go out first."""
        if self.closed.is_set():
            with contextlib.suppress(TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(self._writer), _CLOSE_GRACE_SECONDS)
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer


def _close_reason(item: Close) -> str:
    """Return the close reason cut to the 123 UTF-8 bytes that a close frame has room for.

    RFC 6455 limits a control frame's payload to 125 bytes, 2 of them for the code.
    """
    return item.reason.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")


class Room:
    """The sockets of one report on this replica and their shared stream to its actor.

    Opened by ``open`` and ended by ``close``. A stream that breaks closes every socket of
    the room with 1012, so that their clients reconnect and resync.
    """

    def __init__(self, hub: ReportHub, report_id: uuid.UUID, actor: Any) -> None:
        self.hub = hub
        self.report_id = report_id
        self.actor = actor
        self.subscription = ""
        self.peers: dict[str, Peer] = {}
        # What the actor last sent out for each awareness client, to drop clients' echoes.
        self.awareness = RelayedAwareness()
        self._stream: StreamClient | None = None

    @classmethod
    async def open(cls, hub: ReportHub, report_id: uuid.UUID, actor: Any) -> Room:
        """Subscribe to the report's actor and open the stream its ticket names.

        Raises:
            StreamError: the actor's stream could not be reached.
        """
        room = cls(hub, report_id, actor)
        ticket = await actor.open_stream.remote()
        room.subscription = ticket.subscription
        try:
            room._stream = await StreamClient.connect(
                ticket, deliver=room.deliver, still_needed=room._has_peers, on_end=room._ended
            )
        except StreamError:
            await room._unsubscribe()
            raise
        return room

    def deliver(
        self, items: Iterable[Outgoing], only: Peer | None = None, *, first: bool = False
    ) -> None:
        """Pass frames to every peer or ``only`` one; ``first`` marks its first frames."""
        for item in items:
            if isinstance(item, Frame) and isinstance(item.payload, bytes):
                self.awareness.relayed(item.payload)
            targets = item.targets
            peers = [only] if only is not None else list(self.peers.values())
            for peer in peers:
                if targets is not None and peer.id not in targets:
                    continue
                if isinstance(item, Close):
                    peer.close(item.code, item.reason)
                else:
                    peer.deliver(item, first=first)

    async def permission_for(self, user: str, role_permission: str, is_admin: bool) -> str | None:
        """Request the permission ``user`` gets from the actor over the room's stream.

        Raises:
            StreamError: the stream ended or the actor failed the request.
        """
        if self._stream is None:
            raise StreamError("the room is not open")
        return await self._stream.permission_for(user, role_permission, is_admin)

    async def connect(
        self, peer: Peer, user: str, permission: str, is_admin: bool
    ) -> list[Outgoing]:
        """Register ``peer`` with the actor over the room's stream; return its first frames.

        Raises:
            StreamError: the stream ended, or the actor rejected the socket because it is
                unloading or the peer's id is registered already.
        """
        if self._stream is None:
            raise StreamError("the room is not open")
        return await self._stream.join(peer.id, user, permission, peer.kind.value, is_admin)

    async def receive(self, peer: Peer, data: bytes | str) -> list[Outgoing]:
        """Pass one of ``peer``'s frames to the actor; return the replies meant for it alone.

        Raises:
            StreamError: the stream ended or the actor failed on the frame.
        """
        if self._stream is None:
            raise StreamError("the room is not open")
        return await self._stream.receive(peer.id, data)

    def _ended(self, reason: str) -> None:
        logger.warning("report %s stream ended (%s); closing its sockets", self.report_id, reason)
        self.hub.forget(self)
        for peer in list(self.peers.values()):
            peer.close(
                CLOSE_SERVICE_RESTART, "the report restarted or fell behind; reconnect to resync"
            )

    async def _has_peers(self) -> bool:
        """Return whether the room still serves sockets, forgetting an empty one under the lock.

        Asked on each keepalive: when every socket left without releasing the room (its
        handler was cancelled midway), the stream ends so the actor can go idle and unload.
        """
        async with self.hub.lock:
            if self.peers:
                return True
            self.hub.forget(self)
            return False

    async def leave(self, peer: Peer) -> None:
        self.peers.pop(peer.id, None)
        try:
            await peer.stop()
            if self._stream is not None:
                self._stream.leave(peer.id)
        finally:
            await self.hub.release(self)

    async def close(self) -> None:
        """End the stream; the actor drops the subscription once the stream closes."""
        if self._stream is not None:
            await self._stream.close()

    async def _unsubscribe(self) -> None:
        with contextlib.suppress(RayActorError, RayTaskError):
            await self.actor.unsubscribe.remote(self.subscription)


class ReportHub:
    """The rooms of one replica; creating a room's subscription is guarded per report."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._rooms: dict[uuid.UUID, Room] = {}
        # Guards the rooms and their peer sets: joining, releasing and a room's own check.
        self.lock = asyncio.Lock()
        self._leaving: set[asyncio.Task[None]] = set()

    async def open(self, report_id: uuid.UUID) -> Room:
        """Return the report's room, subscribing to its actor if the room is not open yet.

        Clients that arrive while the room opens wait for it, and then use its stream.

        Raises:
            RayActorError, RayTaskError: the actor could not be reached or refused.
            StreamError: the actor's stream could not be reached.
        """
        room = self._rooms.get(report_id)
        if room is not None:
            return room
        async with self.lock:
            return await self._open(report_id)

    async def join(self, report_id: uuid.UUID, peer: Peer) -> Room:
        """Add ``peer`` to the report's room, opening the room if needed."""
        async with self.lock:
            room = await self._open(report_id)
            room.peers[peer.id] = peer
            return room

    async def _open(self, report_id: uuid.UUID) -> Room:
        room = self._rooms.get(report_id)
        if room is None:
            actor = report_actor_handle(report_id, self._settings)
            room = await Room.open(self, report_id, actor)
            self._rooms[report_id] = room
        return room

    def forget(self, room: Room) -> None:
        if self._rooms.get(room.report_id) is room:
            del self._rooms[room.report_id]

    async def leave(self, room: Room, peer: Peer) -> None:
        """Take ``peer`` out of ``room``, finishing even if the caller is cancelled midway.

        Serve cancels a socket's handler when its client drops. The shield keeps that from
        stopping the release halfway, which would leave the room subscribed with no socket.
        """
        task = asyncio.get_running_loop().create_task(room.leave(peer))
        self._leaving.add(task)
        task.add_done_callback(self._leaving.discard)
        await asyncio.shield(task)

    async def release(self, room: Room) -> None:
        async with self.lock:
            if room.peers:
                return
            self.forget(room)
        await room.close()

    def room_of(self, report_id: uuid.UUID) -> Room | None:
        """Return the report's open room on this replica, or None."""
        return self._rooms.get(report_id)

    @property
    def open_rooms(self) -> int:
        return len(self._rooms)

    def actor_for(self, report_id: uuid.UUID) -> Any:
        """Return the handle of the report's actor: that of its open room, or a lookup.

        Looking an actor up reads Ray's key-value store and blocks the event loop meanwhile.
        """
        room = self._rooms.get(report_id)
        if room is not None:
            return room.actor
        return report_actor_handle(report_id, self._settings)
