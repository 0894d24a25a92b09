"""An ASGI middleware that turns away unauthenticated and oversized API requests early.

FastAPI reads a request's body before it runs the route's dependencies, so without this an
anonymous client could make the server spool a large upload before it learns of the 401.
Here the bearer token is checked and the body counted before the application sees either;
the route's own dependencies still decide the role.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from deployments.auth import TokenService
from deployments.errors import ApiError, AuthenticationError, PayloadTooLargeError
from deployments.problems import PROBLEM_JSON

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_GUARDED_PREFIX = "/api/"
# Schedule imports and project documents: file uploads up to PMR_MAX_UPLOAD_BYTES.
_UPLOAD_PATH = re.compile(r"/api/projects/(?:import|[^/]+/documents)")
# Multipart framing around an uploaded file: boundaries, part headers, the file name.
_MULTIPART_ALLOWANCE = 1024 * 1024
# JSON bodies: a section body of a million characters is at most 4 MB of UTF-8.
JSON_BODY_LIMIT = 8 * 1024 * 1024


class RequestGuard:
    def __init__(self, app: ASGIApp, tokens: TokenService, max_upload_bytes: int) -> None:
        self._app = app
        self._tokens = tokens
        self._upload_limit = max_upload_bytes + _MULTIPART_ALLOWANCE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(_GUARDED_PREFIX):
            await self._app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1").lower(): value.decode("latin-1")
            for key, value in scope["headers"]
        }
        upload = _UPLOAD_PATH.fullmatch(str(scope["path"])) is not None
        limit = self._upload_limit if upload else JSON_BODY_LIMIT
        code = "file_too_large" if upload else "request_too_large"
        problem = self._check(headers, limit, code)
        if problem is not None:
            await _respond(send, problem, scope["path"])
            return
        guarded = _Guarded(send, scope["path"])
        await self._app(scope, _Counted(receive, guarded, limit, code), guarded)

    def _check(self, headers: dict[str, str], limit: int, code: str) -> ApiError | None:
        header = headers.get("authorization", "")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return AuthenticationError(_bearer_problem(header, scheme), code="missing_token")
        try:
            self._tokens.verify(token.strip())
        except AuthenticationError as error:
            return error
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _too_large(int(declared), limit, code)
        return None


def _bearer_problem(header: str, scheme: str) -> str:
    """Say what is wrong with an Authorization header that carries no bearer token."""
    fix = "send 'Authorization: Bearer <token>'; `pmr token create` issues one"
    if not header.strip():
        return f"missing bearer token: {fix}"
    if scheme.lower() == "bearer":
        return f"the Authorization header names the Bearer scheme but no token: {fix}"
    # The header itself is not repeated: without a scheme its first word may be the token.
    return f"the Authorization header does not start with 'Bearer ': {fix}"


def _too_large(size: int, limit: int, code: str) -> PayloadTooLargeError:
    remedy = (
        "raise PMR_MAX_UPLOAD_BYTES for larger files"
        if code == "file_too_large"
        else "send a smaller body"
    )
    return PayloadTooLargeError(
        f"the request body of {size:,} bytes exceeds the limit of {limit:,} bytes; {remedy}",
        code=code,
    )


async def _respond(send: Send, problem: ApiError, path: str) -> None:
    body = json.dumps(problem.problem(instance=path)).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if isinstance(problem, AuthenticationError):
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Guarded:
    """The application's ``send``, muted once the guard has answered in its place."""

    def __init__(self, send: Send, path: str) -> None:
        self._send = send
        self._path = path
        self._started = False
        self._answered = False

    async def __call__(self, message: Message) -> None:
        if self._answered:
            return
        self._started = True
        await self._send(message)

    async def answer(self, problem: ApiError) -> None:
        """Send ``problem`` unless the application already began its response."""
        if self._started or self._answered:
            return
        self._answered = True
        await _respond(self._send, problem, self._path)


class _Counted:
    """The application's ``receive``, answering 413 once the body passes its limit."""

    def __init__(self, receive: Receive, guarded: _Guarded, limit: int, code: str) -> None:
        self._receive = receive
        self._guarded = guarded
        self._limit = limit
        self._code = code
        self._size = 0
        self._stopped = False

    async def __call__(self) -> Message:
        if self._stopped:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self._size += len(message.get("body", b""))
            if self._size > self._limit:
                self._stopped = True
                await self._guarded.answer(_too_large(self._size, self._limit, self._code))
                return {"type": "http.disconnect"}
        return message
