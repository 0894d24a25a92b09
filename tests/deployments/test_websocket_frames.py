"""The relay's frame size limit, with a fake WebSocket and room instead of Serve and an actor."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from actors.connections import CLOSE_TOO_BIG
from actors.outbox import FrameKind, Outgoing
from deployments import websocket
from deployments.hub import Peer


class FakeWebSocket:
    """A socket that returns the given messages, then a disconnect, and records its close code."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self._messages = messages
        self.close_code: int | None = None

    async def receive(self) -> dict[str, Any]:
        if not self._messages:
            return {"type": "websocket.disconnect"}
        return self._messages.pop(0)

    async def send_text(self, text: str) -> None:
        pass

    async def send_bytes(self, data: bytes) -> None:
        pass

    async def close(self, code: int, reason: str) -> None:
        self.close_code = code


class FakeRoom:
    """A room that records the frames that the relay passes on to the actor."""

    report_id = "report"

    def __init__(self) -> None:
        self.received: list[bytes | str] = []

    async def receive(self, peer: Peer, data: bytes | str) -> list[Outgoing]:
        self.received.append(data)
        return []

    def deliver(self, items: list[Outgoing], only: Peer | None = None) -> None:
        pass


@pytest.mark.parametrize(
    ("text", "passed_on"),
    [("a" * 12, True), ("€" * 12, False)],
    ids=["ascii within limit", "multibyte over limit"],
)
async def test_text_frame_limit_counts_bytes(text: str, passed_on: bool) -> None:
    limit = 30
    services = SimpleNamespace(settings=SimpleNamespace(max_frame_bytes=limit))
    socket = FakeWebSocket([{"type": "websocket.receive", "text": text}])
    peer = Peer(socket, FrameKind.TEXT, queue_frames=10)  # type: ignore[arg-type]
    room = FakeRoom()

    await websocket._relay(socket, services, room, peer)  # type: ignore[arg-type]
    await peer.stop()

    assert len(text) <= limit
    assert (room.received == [text]) is passed_on
    assert (socket.close_code == CLOSE_TOO_BIG) is not passed_on
