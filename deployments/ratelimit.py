"""Rate limits per user and per client address on the API and on new WebSockets.

Each request under ``/api/`` and each WebSocket upgrade under ``/ws/`` counts once for its
client address and, when it carries a valid bearer token, once for the token's user. The
counts cover fixed windows of ``PMR_RATE_LIMIT_WINDOW_SECONDS`` and live in Redis when it
is configured and up, else in this process. Over a limit, a request gets 429 with a
Retry-After header, and an upgrade is rejected with the same 429 response, because
y-websocket clients retry a closed socket at once and would loop.

The client address is the connection's peer, or with ``PMR_FORWARDED_HOPS`` set to N, the
Nth address from the right of X-Forwarded-For: the one that the outermost trusted proxy
appended. Entries further left come from the client and are never trusted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from config import Settings
from deployments.auth import TokenService
from deployments.errors import AuthenticationError, TooManyRequestsError
from deployments.problems import PROBLEM_JSON
from storage.counters import WindowCount, WindowCounter

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_DENIAL_EXTENSION = "websocket.http.response"
# A pre-accept close makes ASGI servers respond 403; used when the server cannot send 429.
_POLICY_VIOLATION = 1008


@dataclass(frozen=True, slots=True)
class Limits:
    """Requests (or upgrades) per window for one user and for one client address; 0 is off."""

    per_user: int
    per_address: int


class RateLimiter:
    """ASGI middleware that counts API requests and WebSocket upgrades and rejects the excess."""

    def __init__(
        self, app: ASGIApp, *, tokens: TokenService, counter: WindowCounter, settings: Settings
    ) -> None:
        self._app = app
        self._tokens = tokens
        self._counter = counter
        self._window = settings.rate_limit_window_seconds
        self._forwarded_hops = settings.forwarded_hops
        self._requests = Limits(settings.rate_limit_user_requests, settings.rate_limit_ip_requests)
        self._upgrades = Limits(
            settings.rate_limit_user_websockets, settings.rate_limit_ip_websockets
        )
        if not settings.rate_limits_enabled:
            self._requests = self._upgrades = Limits(0, 0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and path.startswith("/api/"):
            kind, limits = "request", self._requests
        elif scope["type"] == "websocket" and path.startswith("/ws/"):
            kind, limits = "websocket", self._upgrades
        else:
            await self._app(scope, receive, send)
            return
        if not (limits.per_user or limits.per_address):
            await self._app(scope, receive, send)
            return
        problem = await self._check(scope, kind, limits)
        if problem is None:
            await self._app(scope, receive, send)
        elif scope["type"] == "http":
            await _respond(send, problem, path, "http.response")
        else:
            await _deny_upgrade(scope, send, problem, path)

    async def _check(self, scope: Scope, kind: str, limits: Limits) -> TooManyRequestsError | None:
        address = client_address(scope, self._forwarded_hops)
        if limits.per_address:
            count = await self._counter.hit(f"{kind}:address:{address}")
            if count.count > limits.per_address:
                return self._refuse(kind, f"client address {address}", limits.per_address, count)
        user = self._user(scope) if limits.per_user else None
        if user is not None:
            count = await self._counter.hit(f"{kind}:user:{user}")
            if count.count > limits.per_user:
                return self._refuse(kind, f"user {user}", limits.per_user, count)
        return None

    def _user(self, scope: Scope) -> str | None:
        token = bearer_token(scope)
        if token is None:
            return None
        try:
            return self._tokens.verify(token).email
        except AuthenticationError:
            # The guard or the WebSocket endpoint rejects the token; only the address counts.
            return None

    def _refuse(self, kind: str, who: str, limit: int, count: WindowCount) -> TooManyRequestsError:
        noun = "API requests" if kind == "request" else "new WebSocket connections"
        if count.count == limit + 1:
            logger.info("rate limit reached: %s made %d %s this window", who, limit, noun)
        return TooManyRequestsError(
            f"{who} made more than {limit} {noun} in {self._window} s; retry after "
            f"{count.retry_after} s",
            code="rate_limited",
            retry_after=count.retry_after,
        )


def client_address(scope: Scope, forwarded_hops: int) -> str:
    """Return the address that limits count for a request or upgrade.

    With ``forwarded_hops`` N above 0, it is the Nth entry from the right of the
    X-Forwarded-For headers. With fewer entries than that, the request did not come through
    the trusted proxies, and the peer's address counts.
    """
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if forwarded_hops == 0:
        return peer
    forwarded: list[str] = [
        entry.strip()
        for key, value in scope.get("headers", [])
        if key.lower() == b"x-forwarded-for"
        for entry in value.decode("latin-1").split(",")
        if entry.strip()
    ]
    if len(forwarded) < forwarded_hops:
        return peer
    return forwarded[-forwarded_hops]


def bearer_token(scope: Scope) -> str | None:
    """Return the bearer token of a request or upgrade: header, ``?token=``, or subprotocol."""
    headers: dict[str, str] = {
        key.decode("latin-1").lower(): value.decode("latin-1")
        for key, value in scope.get("headers", [])
    }
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    if query.get("token"):
        return str(query["token"][0])
    offered = headers.get("sec-websocket-protocol", "").split(",")
    jwt_like = [value.strip() for value in offered if value.strip().count(".") == 2]
    return jwt_like[0] if jwt_like else None


async def _respond(send: Send, problem: TooManyRequestsError, path: str, prefix: str) -> None:
    body = json.dumps(problem.problem(instance=path)).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(problem.extensions["retry_after"]).encode()),
    ]
    await send({"type": f"{prefix}.start", "status": problem.status, "headers": headers})
    await send({"type": f"{prefix}.body", "body": body})


async def _deny_upgrade(
    scope: Scope, send: Send, problem: TooManyRequestsError, path: str
) -> None:
    if _DENIAL_EXTENSION in scope.get("extensions", {}):
        await _respond(send, problem, path, "websocket.http.response")
        return
    logger.warning(
        "the ASGI server cannot send a 429 before accepting a WebSocket, so the upgrade of "
        "%s is closed instead; run uvicorn, which supports %s",
        path,
        _DENIAL_EXTENSION,
    )
    await send({"type": "websocket.close", "code": _POLICY_VIOLATION})
