"""An HTTP transport for the openai client that stops reading a body past a size limit.

The model client reads each response whole before it parses it, so without a limit a
server could fill the process's memory within one request's deadline. The transport requests
uncompressed bodies and rejects compressed ones, because the client decodes a body
after the transport has counted it, and a small compressed body can expand a thousandfold.
openai 3 sends its requests through httpx2, a fork of httpx with the same interface.

A client given a transport of its own ignores the proxy variables of the environment, so
the transport reads them itself for the model's address.
"""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx2


class ResponseTooLargeError(Exception):
    """A response body is larger than the limit, or compressed so that its size is unknown."""


class BoundedTransport(httpx2.AsyncBaseTransport):
    """Forwards requests to httpx2's own transport and bounds the bodies that come back."""

    def __init__(self, limit_bytes: int, base_url: str) -> None:
        self._inner = httpx2.AsyncHTTPTransport(proxy=environment_proxy(base_url))
        self._limit = limit_bytes

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        request.headers["Accept-Encoding"] = "identity"
        response = await self._inner.handle_async_request(request)
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding != "identity":
            await response.aclose()
            raise ResponseTooLargeError(
                f"the response is compressed with {encoding!r:.40} although an uncompressed "
                "one was requested"
            )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._limit:
            await response.aclose()
            raise ResponseTooLargeError(
                f"the response declares {int(declared):,} bytes, over the limit of {self._limit:,}"
            )
        response.stream = _BoundedStream(response.stream, self._limit)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def environment_proxy(url: str) -> str | None:
    """Return the proxy that HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY give ``url``."""
    parts = urlsplit(url)
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parts.scheme) or proxies.get("all")


class _BoundedStream(httpx2.AsyncByteStream):
    """A response body that raises once more than ``limit`` bytes have arrived."""

    def __init__(self, stream: httpx2.AsyncByteStream | httpx2.SyncByteStream, limit: int) -> None:
        assert isinstance(stream, httpx2.AsyncByteStream)
        self._stream = stream
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self._stream:
            received += len(chunk)
            if received > self._limit:
                raise ResponseTooLargeError(
                    f"the response body exceeded the limit of {self._limit:,} bytes"
                )
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()
