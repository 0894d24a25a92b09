"""Turning per-message compression off in uvicorn's WebSocket protocols."""

from __future__ import annotations

from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from deployments.compression import turn_off_compression


async def _app(scope: object, receive: object, send: object) -> None:
    raise AssertionError("no request reaches the app here")


async def test_protocol_gets_no_compression() -> None:
    config = Config(_app)
    assert config.ws_per_message_deflate is True

    first = turn_off_compression()
    second = turn_off_compression()
    protocol = WebSocketsSansIOProtocol(config, server_state=ServerState(), app_state={})

    assert first == second >= 1
    assert config.ws_per_message_deflate is False
    assert protocol.conn.available_extensions == []
