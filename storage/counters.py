"""Event counts per key in fixed time windows, for rate limits.

With Redis every replica counts into the same key (INCR, with an expiry just past the
window's end). Without Redis, or while it is down, each process counts for itself, so N
replicas then admit up to N times a limit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import redis.asyncio

from storage.redis_link import RedisLink

_PREFIX = "pmr:rate:"


@dataclass(frozen=True, slots=True)
class WindowCount:
    """The count of the current window, including this event, and when the window ends."""

    count: int
    reset_seconds: float

    @property
    def retry_after(self) -> int:
        """Whole seconds until the window ends, at least 1, as Retry-After wants them."""
        return max(math.ceil(self.reset_seconds), 1)


class WindowCounter:
    """Counts events per key in windows of ``window_seconds``, in Redis when it is up."""

    def __init__(
        self, link: RedisLink | None, *, window_seconds: int, local_keys: int = 100_000
    ) -> None:
        self._link = link
        self._window_seconds = window_seconds
        self._local: dict[str, int] = {}
        self._local_window = -1
        self._local_keys = local_keys

    async def hit(self, key: str) -> WindowCount:
        """Count one event for ``key`` and return the count of its current window."""
        now = time.time()
        window = int(now // self._window_seconds)
        reset = (window + 1) * self._window_seconds - now
        if self._link is not None:
            shared_key = f"{_PREFIX}{key}:{window}"
            shared = await self._link.run(
                lambda client: _increment(client, shared_key, self._window_seconds)
            )
            if shared is not None:
                return WindowCount(shared, reset)
        return WindowCount(self._hit_local(key, window), reset)

    def _hit_local(self, key: str, window: int) -> int:
        if window != self._local_window:
            self._local = {}
            self._local_window = window
        if key not in self._local and len(self._local) >= self._local_keys:
            # A flood of distinct keys must not grow memory without bound; counting them
            # from zero again is the lesser harm.
            self._local = {}
        count = self._local.get(key, 0) + 1
        self._local[key] = count
        return count


async def _increment(client: redis.asyncio.Redis, key: str, window_seconds: int) -> int:
    pipeline = client.pipeline(transaction=True)
    pipeline.incr(key)
    pipeline.expire(key, window_seconds + 1)
    count, _ = await pipeline.execute()
    return int(count)
