"""A scripted OpenAI-compatible server on loopback, for tests of the model client and chat.

Each request to /v1/chat/completions takes the next scripted answer: a text, tool calls
(with arguments as given, so malformed JSON can be sent), or a hold that answers only when
the server stops, which outlasts any client timeout without a sleep in the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import deque
from typing import Any

from aiohttp import web

Answer = dict[str, Any]


class ScriptedModel:
    """Start with ``start()`` (returns the base URL), stop with ``stop()``."""

    def __init__(self) -> None:
        self.answers: deque[Answer] = deque()
        self.requests: list[dict[str, Any]] = []
        self.request_headers: list[dict[str, str]] = []
        self._loop = asyncio.new_event_loop()
        self._release: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.base_url = ""

    # Scripting ---------------------------------------------------------------------------

    def say(self, content: str) -> None:
        self.answers.append({"content": content})

    def call(self, *calls: tuple[str, str | dict[str, Any]], content: str = "") -> None:
        """Answer with tool calls; a str argument is sent verbatim, a dict as JSON."""
        self.answers.append({"content": content, "calls": list(calls)})

    def hold(self) -> None:
        """Answer nothing until the server stops (a client timeout fires first)."""
        self.answers.append({"hold": True})

    def send(
        self,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Respond with ``body`` as given, so that malformed responses can be sent."""
        self.answers.append(
            {"body": body, "status": status, "content_type": content_type, "headers": headers}
        )

    def flood(self, size: int) -> None:
        """Send ``size`` bytes of JSON whitespace in chunks, with no Content-Length."""
        self.answers.append({"flood": size})

    def trickle(self) -> None:
        """Send the headers, then a space every 50 ms until the server stops.

        Each read gets data long before a read timeout, so only a deadline on the whole
        request ends it.
        """
        self.answers.append({"trickle": True})

    # Lifecycle ---------------------------------------------------------------------------

    def start(self) -> str:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        port = future.result(timeout=10)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _serve(self) -> int:
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port: int = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return port

    async def _shutdown(self) -> None:
        assert self._release is not None
        assert self._runner is not None
        self._release.set()
        await self._runner.cleanup()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.request_headers.append(dict(request.headers))
        answer: Answer = self.answers.popleft() if self.answers else {"content": "No script left."}
        assert self._release is not None
        if answer.get("hold"):
            await self._release.wait()
            return web.json_response({"error": "stopped"}, status=503)
        if answer.get("trickle"):
            return await self._trickle(request, self._release)
        if "flood" in answer:
            return await self._flood(request, answer["flood"])
        if "body" in answer:
            return web.Response(
                body=answer["body"],
                status=answer["status"],
                content_type=answer["content_type"],
                headers=answer["headers"],
            )
        return web.json_response(_completion(body.get("model", "scripted"), answer))

    @staticmethod
    async def _flood(request: web.Request, size: int) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b" " * 65536
        try:
            for start in range(0, size, len(chunk)):
                await response.write(chunk[: size - start])
        except ConnectionError:
            pass
        return response

    async def _trickle(self, request: web.Request, release: asyncio.Event) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        try:
            while not release.is_set():
                await response.write(b" ")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(release.wait(), 0.05)
        except ConnectionError:
            pass
        return response


def _completion(model: str, answer: Answer) -> dict[str, Any]:
    calls = [
        {
            "id": f"call_{number}",
            "type": "function",
            "function": {
                "name": name,
                "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
            },
        }
        for number, (name, arguments) in enumerate(answer.get("calls", []), start=1)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": answer.get("content") or None}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if calls else "stop",
            }
        ],
    }
