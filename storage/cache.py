"""Cached report bodies, keyed by the revision of the report's document.

The report's actor gives its document a new revision token after every applied change and
publishes it under ``pmr:report:<id>:revision``. A body is cached under the revision it was
rendered from, so a change makes every older body unreachable at once and no reader can
store a stale body under the new revision. With Redis the bodies are shared by every
replica and outlive an unloaded actor. Without it each replica keeps a small LRU and asks
the actor for the revision.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict

from storage.redis_link import RedisLink

_PREFIX = "pmr:report:"


def revision_key(report_id: uuid.UUID) -> str:
    return f"{_PREFIX}{report_id}:revision"


def body_key(report_id: uuid.UUID, revision: str) -> str:
    return f"{_PREFIX}{report_id}:body:{revision}"


class ReportCache:
    """Report bodies by (report, revision): in Redis when a link is given, else in an LRU."""

    def __init__(
        self, link: RedisLink | None, *, local_entries: int = 256, ttl_seconds: float = 600.0
    ) -> None:
        self._link = link
        self._ttl_ms = max(int(ttl_seconds * 1000), 1)
        self._local: OrderedDict[tuple[uuid.UUID, str], bytes] = OrderedDict()
        self._local_entries = local_entries

    @property
    def shared(self) -> bool:
        """Whether bodies and revisions live in Redis, shared by every replica."""
        return self._link is not None

    async def revision(self, report_id: uuid.UUID) -> str | None:
        """Return the revision the actor published, or None without Redis or when unknown."""
        if self._link is None:
            return None
        value = await self._link.run(lambda client: client.get(revision_key(report_id)))
        return value.decode() if isinstance(value, bytes) else None

    async def get(self, report_id: uuid.UUID, revision: str) -> bytes | None:
        """Return the body rendered from ``revision``, or None on a miss or a Redis failure."""
        if self._link is None:
            body = self._local.get((report_id, revision))
            if body is not None:
                self._local.move_to_end((report_id, revision))
            return body
        value = await self._link.run(lambda client: client.get(body_key(report_id, revision)))
        return value if isinstance(value, bytes) else None

    async def put(self, report_id: uuid.UUID, revision: str, body: bytes) -> None:
        """Store the body rendered from ``revision``; a Redis failure stores nothing."""
        if self._link is None:
            self._local[(report_id, revision)] = body
            self._local.move_to_end((report_id, revision))
            while len(self._local) > self._local_entries:
                self._local.popitem(last=False)
            return
        key = body_key(report_id, revision)
        await self._link.run(lambda client: client.set(key, body, px=self._ttl_ms))


class RevisionPublisher:
    """The actor's side: publishes each new revision of its document to Redis."""

    def __init__(self, link: RedisLink) -> None:
        self._link = link

    async def publish(self, report_id: uuid.UUID, revision: str) -> bool:
        """Store ``revision`` as the report's current one; return False when Redis failed."""
        stored = await self._link.run(lambda client: client.set(revision_key(report_id), revision))
        return bool(stored)

    def publish_sync(self, report_id: uuid.UUID, revision: str) -> bool:
        """Store ``revision`` from blocking code, such as an actor's constructor."""
        stored = self._link.run_sync(lambda client: client.set(revision_key(report_id), revision))
        return bool(stored)
