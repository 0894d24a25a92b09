"""A socket whose client goes away while it joins leaves its room again."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

from actors.outbox import FrameKind
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
