"""Joining a report's room: a client that goes away, an actor that rejects or unloads."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from actors.outbox import FrameKind
from actors.stream import RequestFailedError
from crdt import RelayedAwareness
from deployments import websocket
from deployments.auth import Principal, Role
from deployments.hub import Peer


class _SlowRoom:
    """A room whose actor never finishes registering a socket."""

    def __init__(self) -> None:
        self.peers: dict[str, Peer] = {}
        self.connecting = asyncio.Event()

    async def connect(self, peer: Peer, user: str, permission: str, is_admin: bool) -> Any:
        self.connecting.set()
        await asyncio.Event().wait()


class _Hub:
    def __init__(self, room: _SlowRoom) -> None:
        self.room = room
        self.left: list[tuple[_SlowRoom, Peer]] = []

    async def join(self, report_id: uuid.UUID, peer: Peer) -> _SlowRoom:
        self.room.peers[peer.id] = peer
        return self.room

    async def leave(self, room: _SlowRoom, peer: Peer) -> None:
        room.peers.pop(peer.id, None)
        self.left.append((room, peer))


async def test_cancelled_join_leaves_room() -> None:
    room = _SlowRoom()
    hub = _Hub(room)
    peer = Peer(SimpleNamespace(), FrameKind.BINARY, queue_frames=4)  # type: ignore[arg-type]
    principal = Principal(email="ann@example.com", role=Role.EDITOR)
    joining = asyncio.create_task(
        websocket._join(SimpleNamespace(hub=hub), uuid.uuid4(), peer, principal, "edit")  # type: ignore[arg-type]
    )
    await asyncio.wait_for(room.connecting.wait(), 5.0)

    joining.cancel()
    await asyncio.gather(joining, return_exceptions=True)

    assert joining.cancelled()
    assert hub.left == [(room, peer)]
    assert room.peers == {}
    await peer.stop()


class _RejectingRoom:
    """A room whose actor rejects the first connect with ``rejection`` and accepts the next."""

    def __init__(self, rejection: RequestFailedError | None) -> None:
        self.peers: dict[str, Peer] = {}
        self.rejection = rejection

    async def connect(self, peer: Peer, user: str, permission: str, is_admin: bool) -> Any:
        rejection, self.rejection = self.rejection, None
        if rejection is not None:
            raise rejection
        return ["welcome"]


class _RoomsHub:
    """A hub that hands out its first room and records what is forgotten or released."""

    def __init__(self, *rooms: _RejectingRoom) -> None:
        self.rooms = list(rooms)
        self.forgotten: list[_RejectingRoom] = []
        self.released: list[_RejectingRoom] = []

    async def join(self, report_id: uuid.UUID, peer: Peer) -> _RejectingRoom:
        room = self.rooms[0]
        room.peers[peer.id] = peer
        return room

    def forget(self, room: _RejectingRoom) -> None:
        self.forgotten.append(room)
        self.rooms.remove(room)

    async def release(self, room: _RejectingRoom) -> None:
        self.released.append(room)


def _peer() -> Peer:
    return Peer(SimpleNamespace(), FrameKind.BINARY, queue_frames=4)  # type: ignore[arg-type]


async def _join(hub: _RoomsHub, peer: Peer) -> tuple[Any, list[Any]]:
    principal = Principal(email="ann@example.com", role=Role.EDITOR)
    services: Any = SimpleNamespace(hub=hub)
    return await websocket._join(services, uuid.uuid4(), peer, principal, "edit")


async def test_rejected_join_keeps_room_open() -> None:
    rejection = RequestFailedError(
        "the report actor failed: DuplicateConnectionError: connection x is registered",
        unloading=False,
    )
    room = _RejectingRoom(rejection)
    other, peer = _peer(), _peer()
    room.peers[other.id] = other
    hub = _RoomsHub(room)

    with pytest.raises(RequestFailedError, match="DuplicateConnectionError"):
        await _join(hub, peer)

    assert hub.forgotten == []
    assert hub.released == [room]
    assert list(room.peers) == [other.id]
    await peer.stop()
    await other.stop()


async def test_unloading_rejection_retries_fresh_room() -> None:
    rejection = RequestFailedError(
        "the report actor failed: ReportUnloadingError: report x is unloading", unloading=True
    )
    unloading, fresh = _RejectingRoom(rejection), _RejectingRoom(None)
    hub = _RoomsHub(unloading, fresh)
    peer = _peer()

    room, initial = await _join(hub, peer)

    assert room is fresh
    assert initial == ["welcome"]
    assert hub.forgotten == [unloading]
    assert hub.released == []
    assert unloading.peers == {}
    assert list(fresh.peers) == [peer.id]
    await peer.stop()


class _OpeningHub:
    """A hub whose room takes longer to open than the client waits."""

    def __init__(self) -> None:
        self.opening = asyncio.Event()

    async def join(self, report_id: uuid.UUID, peer: Peer) -> Any:
        self.opening.set()
        await asyncio.Event().wait()


class _AcceptingSocket:
    """An upgraded socket of a client that sends nothing, serving ``services``."""

    def __init__(self, services: Any) -> None:
        self.app = SimpleNamespace(state=SimpleNamespace(services=services))
        self.query_params: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    async def accept(self, subprotocol: str | None = None) -> None:
        pass


async def test_cancelled_room_opening_stops_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    peers: list[Peer] = []

    class _RecordedPeer(Peer):
        def __init__(self, *arguments: Any, **options: Any) -> None:
            super().__init__(*arguments, **options)
            peers.append(self)

    async def admit(*arguments: Any) -> tuple[Principal, str]:
        return Principal(email="ann@example.com", role=Role.EDITOR), "edit"

    monkeypatch.setattr(websocket, "_admit", admit)
    monkeypatch.setattr(websocket, "Peer", _RecordedPeer)
    hub = _OpeningHub()
    services = SimpleNamespace(hub=hub, settings=SimpleNamespace(ws_send_queue_frames=4))
    socket: Any = _AcceptingSocket(services)
    handler = asyncio.create_task(websocket.collaborate(socket, str(uuid.uuid4())))
    await asyncio.wait_for(hub.opening.wait(), 5.0)

    handler.cancel()
    await asyncio.gather(handler, return_exceptions=True)

    assert handler.cancelled()
    assert len(peers) == 1
    assert peers[0]._writer.done()


class _ClosingSocket:
    """A socket that records the reason it is closed with."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def close(self, code: int, reason: str) -> None:
        self.reasons.append(reason)


async def test_rejection_reason_fits_close_frame() -> None:
    socket = _ClosingSocket()
    peer = Peer(socket, FrameKind.BINARY, queue_frames=4)  # type: ignore[arg-type]

    peer.close(1011, "the report rejected the connection: " + "é" * 200)
    await peer.stop()

    assert len(socket.reasons) == 1
    assert socket.reasons[0].startswith("the report rejected the connection: éé")
    assert len(socket.reasons[0].encode()) <= 123


class _OneFrameSocket:
    """A client socket that sends one binary frame, then waits, recording its close."""

    def __init__(self) -> None:
        self.sent = False
        self.closed: tuple[int, str] | None = None

    async def receive(self) -> dict[str, Any]:
        if self.sent:
            await asyncio.Event().wait()
        self.sent = True
        return {"type": "websocket.receive", "bytes": b"\x00\x02\x02\x00\x00"}

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


class _FailingRoom:
    """A room whose actor fails every frame with ``error``."""

    def __init__(self, error: RequestFailedError) -> None:
        self.report_id = uuid.uuid4()
        self.awareness = RelayedAwareness()
        self.error = error

    async def receive(self, peer: Peer, data: bytes | str) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("unloading", "code", "reason"),
    [(False, 1011, "failed on this frame"), (True, 1012, "restarted")],
    ids=["frame failed", "unloading"],
)
async def test_failed_frame_closes_with_its_code(unloading: bool, code: int, reason: str) -> None:
    socket = _OneFrameSocket()
    peer = Peer(socket, FrameKind.BINARY, queue_frames=4)  # type: ignore[arg-type]
    room = _FailingRoom(
        RequestFailedError("PanicException: index out of range", unloading=unloading)
    )
    services: Any = SimpleNamespace(settings=SimpleNamespace(max_frame_bytes=1024))

    await websocket._relay(socket, services, room, peer)  # type: ignore[arg-type]
    await peer.stop()

    assert socket.closed is not None
    assert socket.closed[0] == code
    assert reason in socket.closed[1]
