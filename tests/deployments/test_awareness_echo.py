"""A replica keeps clients' echoes of relayed awareness from the report's actor."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from actors.outbox import Frame, FrameKind, Outgoing
from crdt import AwarenessEntry, encode_awareness
from crdt.protocol import awareness_frame
from deployments import websocket
from deployments.hub import Peer, Room

ANN = awareness_frame(encode_awareness([AwarenessEntry(7, 3, '{"user":"ann"}')]))
ANN_MOVED = awareness_frame(encode_awareness([AwarenessEntry(7, 4, '{"user":"ann","at":2}')]))


class _RecordingRoom(Room):
    """A room without a stream that records the frames it would pass to the actor."""

    def __init__(self) -> None:
        super().__init__(SimpleNamespace(), uuid.uuid4(), actor=None)  # type: ignore[arg-type]
        self.forwarded: list[bytes | str] = []

    async def receive(self, peer: Peer, data: bytes | str) -> list[Outgoing]:
        self.forwarded.append(data)
        return []


class _Socket:
    """A client socket that sends ``frames`` and then goes away."""

    def __init__(self, frames: list[bytes]) -> None:
        self._messages = [{"type": "websocket.receive", "bytes": frame} for frame in frames]

    async def receive(self) -> dict[str, Any]:
        if self._messages:
            return self._messages.pop(0)
        return {"type": "websocket.disconnect"}


async def test_echo_of_relayed_awareness_stays_on_replica() -> None:
    room = _RecordingRoom()
    room.deliver([Frame(FrameKind.BINARY, ANN)])
    socket = _Socket([ANN, ANN_MOVED, ANN])
    peer = Peer(socket, FrameKind.BINARY, queue_frames=4)  # type: ignore[arg-type]
    services: Any = SimpleNamespace(settings=SimpleNamespace(max_frame_bytes=1 << 20))

    await websocket._relay(socket, services, room, peer)  # type: ignore[arg-type]

    assert room.forwarded == [ANN_MOVED]
    assert not peer.closed.is_set()
    await peer.stop()


async def test_frames_for_one_peer_count_as_relayed() -> None:
    room = _RecordingRoom()
    peer = Peer(_Socket([]), FrameKind.BINARY, queue_frames=4)  # type: ignore[arg-type]

    room.deliver([Frame(FrameKind.BINARY, ANN)], only=peer, first=True)
    welcomed = room.awareness.is_echo(ANN)
    room.deliver([Frame(FrameKind.BINARY, ANN_MOVED, targets=frozenset({peer.id}))])

    assert welcomed
    assert room.awareness.is_echo(ANN_MOVED)
    assert not room.awareness.is_echo(ANN)
    await peer.stop()
