"""A Redis connection that the server can live without.

Redis is optional: it stores the report cache, job progress and rate-limit counters, and the
server must keep serving while it is down. ``RedisLink`` runs each command with short
timeouts and returns None when Redis fails. The first failure of an outage is logged once,
as a WARNING with the remedy. Later commands skip Redis until a backoff delay has passed
(0.5 s, doubling to 30 s), and the first command that succeeds again logs the recovery at
INFO. One link serves async callers (redis.asyncio) and threads (redis) alike.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


class RedisLink:
    """Clients of one Redis URL with shared outage tracking; opened on use, closed by ``close``."""

    def __init__(self, url: str, *, timeout_seconds: float = 0.5) -> None:
        self.url = _shown(url)
        self._url = url
        self._timeout = timeout_seconds
        self._async_client: redis.asyncio.Redis | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._sync_client: redis.Redis | None = None
        self._state = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._backoff = FIRST_BACKOFF_SECONDS

    @property
    def is_down(self) -> bool:
        """Whether the last command failed and Redis has not responded since."""
        return self._down_since is not None

    async def run(self, command: Callable[[redis.asyncio.Redis], Awaitable[T]]) -> T | None:
        """Run ``command`` on the async client; return None when Redis is down or fails."""
        if not self._due():
            return None
        try:
            result = await command(self._async())
        except (RedisError, OSError) as error:
            self._failed(error)
            return None
        self._succeeded()
        return result

    def run_sync(self, command: Callable[[redis.Redis], T]) -> T | None:
        """Run ``command`` on the blocking client; return None when Redis is down or fails."""
        if not self._due():
            return None
        try:
            result = command(self._sync())
        except (RedisError, OSError) as error:
            self._failed(error)
            return None
        self._succeeded()
        return result

    async def ping(self) -> str | None:
        """Ping Redis now, whatever the backoff; return None when it responds, else the error."""
        try:
            await self._async().ping()
        except (RedisError, OSError) as error:
            self._failed(error)
            return f"{type(error).__name__}: {error}"
        self._succeeded()
        return None

    async def close(self) -> None:
        """Close both clients' connections; the link reopens them on its next use."""
        client, self._async_client = self._async_client, None
        if client is not None:
            await client.aclose()
        self.close_sync()

    def close_sync(self) -> None:
        client, self._sync_client = self._sync_client, None
        if client is not None:
            client.close()

    def _async(self) -> redis.asyncio.Redis:
        # An asyncio client's connections belong to the loop that opened them, and the
        # link is shared by the process, whose callers may run on different loops.
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_loop is not loop:
            self._async_client = redis.asyncio.Redis.from_url(
                self._url, retry=AsyncRetry(NoBackoff(), 1), **self._timeouts()
            )
            self._async_loop = loop
        return self._async_client

    def _sync(self) -> redis.Redis:
        if self._sync_client is None:
            # One immediate retry replaces a pooled connection that died with an earlier
            # server; outages are paced by this link's backoff, not by the client's.
            self._sync_client = redis.Redis.from_url(
                self._url, retry=Retry(NoBackoff(), 1), **self._timeouts()
            )
        return self._sync_client

    def _timeouts(self) -> dict[str, Any]:
        return {"socket_timeout": self._timeout, "socket_connect_timeout": self._timeout}

    def _due(self) -> bool:
        return self._down_since is None or time.monotonic() >= self._retry_at

    def _failed(self, error: BaseException) -> None:
        with self._state:
            now = time.monotonic()
            first = self._down_since is None
            if first:
                self._down_since = now
                self._backoff = FIRST_BACKOFF_SECONDS
            else:
                self._backoff = min(self._backoff * 2, MAX_BACKOFF_SECONDS)
            self._retry_at = now + self._backoff
        if first:
            logger.warning(
                "Redis at %s is unreachable (%s: %s); serving without the report cache and "
                "counting rate limits in this process until it returns. Start redis-server "
                "or correct PMR_REDIS_URL",
                self.url,
                type(error).__name__,
                error,
            )

    def _succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._state:
            since, self._down_since = self._down_since, None
            self._backoff = FIRST_BACKOFF_SECONDS
        if since is not None:
            logger.info(
                "Redis at %s is reachable again after %.1f s; the report cache and shared "
                "rate-limit counters are back",
                self.url,
                time.monotonic() - since,
            )


def _shown(url: str) -> str:
    """Return the URL with any password replaced by asterisks, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@functools.cache
def shared_link(url: str, timeout_seconds: float) -> RedisLink:
    """Return this process's link to ``url``, created on first use and kept for its life."""
    return RedisLink(url, timeout_seconds=timeout_seconds)
