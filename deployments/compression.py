"""WebSocket connections of a replica without per-message compression.

Serve starts each replica's HTTP server with uvicorn's defaults, which accept the
permessage-deflate extension that browsers and the Node ``ws`` package offer. Compression
keeps a zlib stream per connection, so every frame is compressed once per socket. A
broadcast to 200 sockets is compressed 200 times. Fifty clients joining a report of a
megabyte cost 50 megabyte-sized compressions on the replica's event loop, while every
other report's frames wait. docs/benchmarks.md (live co-editing) gives the edit latency
of a small report while 50 clients join a large one. The reference
y-websocket server does not compress either.

Serve offers no setting for it, so ``turn_off_compression`` makes uvicorn's WebSocket
protocols read ``ws_per_message_deflate`` as false. It runs in every replica, before the
first connection. Clients that offer the extension then get an upgrade without it.
"""

from __future__ import annotations

import functools
import importlib
import logging
from typing import Any

logger = logging.getLogger(__name__)

# The WebSocket protocols uvicorn picks by default: (module, class). Each reads the flag
# from its config when a connection starts. uvicorn's older ``websockets`` protocol is
# deprecated and only used when asked for by name, which Serve does not do.
_PROTOCOLS = (
    ("uvicorn.protocols.websockets.websockets_sansio_impl", "WebSocketsSansIOProtocol"),
    ("uvicorn.protocols.websockets.wsproto_impl", "WSProtocol"),
)
_MARK = "_pmr_without_compression"


def turn_off_compression() -> int:
    """Turn permessage-deflate off in uvicorn's WebSocket protocols and return how many.

    Idempotent. A protocol that cannot be imported (its library is not installed) is
    left alone. If none can be, compression stays as uvicorn configures it and a warning
    is logged.
    """
    changed = 0
    for module_name, class_name in _PROTOCOLS:
        try:
            protocol = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            continue
        if not getattr(protocol, _MARK, False):
            protocol.__init__ = _without_compression(protocol.__init__)
            setattr(protocol, _MARK, True)
        changed += 1
    if not changed:
        logger.warning(
            "no uvicorn WebSocket protocol found; per-message compression stays as uvicorn "
            "configures it"
        )
    return changed


def _without_compression(init: Any) -> Any:
    @functools.wraps(init)
    def start(self: Any, config: Any, *args: Any, **kwargs: Any) -> None:
        config.ws_per_message_deflate = False
        init(self, config, *args, **kwargs)

    return start
