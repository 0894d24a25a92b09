"""Attaches the report or job a request is about to the log lines written while serving it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from config.logs import log_context

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_UUID = r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
_REPORT = re.compile(rf"^/(?:api|ws)/reports/pmr/{_UUID}(?:/|$)")
_JOB = re.compile(rf"^/api/jobs/{_UUID}(?:/|$)")


def ids_in_path(path: str) -> dict[str, str]:
    """Return the ``report_id`` or ``job_id`` that a request path names, if any."""
    ids = {}
    report = _REPORT.match(path)
    if report:
        ids["report_id"] = report.group(1).lower()
    job = _JOB.match(path)
    if job:
        ids["job_id"] = job.group(1).lower()
    return ids


class LogContextMiddleware:
    """ASGI middleware: serves each request inside a ``log_context`` of the ids in its path."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ids = ids_in_path(str(scope.get("path", ""))) if scope["type"] != "lifespan" else {}
        with log_context(**ids):
            await self._app(scope, receive, send)
