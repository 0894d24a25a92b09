"""The revision token of a report's document: what the report cache keys bodies on.

The actor draws a new random token when it loads and after every applied change, and
publishes it to Redis when Redis is configured. A token is never reused, not even across
restarts of the actor, so a body cached under one always matches that state of the
document. A publish that fails while Redis is down is repeated by the actor's housekeeping,
because a reader could otherwise keep finding the revision before the outage.

NOTE: when Redis was unreachable but kept its data, replicas can read the older revision,
and so the older body, until the actor's next publish succeeds. That takes up to one
housekeeping round after the actor's link retries, and its retry delay grows to 30 s.
"""

from __future__ import annotations

import asyncio
import uuid

from config import Settings
from storage.cache import RevisionPublisher
from storage.redis_link import shared_link


class DocumentRevision:
    """The current revision token of one report and its publication to Redis."""

    def __init__(self, report_id: uuid.UUID, settings: Settings) -> None:
        self._report_id = report_id
        self.current = uuid.uuid4().hex
        self._publisher: RevisionPublisher | None = None
        self._pending = False
        self._publishing = asyncio.Lock()
        if settings.redis_url:
            link = shared_link(settings.redis_url, settings.redis_timeout_seconds)
            self._publisher = RevisionPublisher(link)
            self._pending = not self._publisher.publish_sync(report_id, self.current)

    def advance(self) -> None:
        """Draw a new token for a changed document; ``publish`` makes it known to Redis."""
        self.current = uuid.uuid4().hex

    async def publish(self) -> None:
        """Publish the current token; a failure leaves it pending for ``publish_pending``.

        Publishes run one at a time and each sends the token current when it starts, so an
        older token can never land in Redis after a newer one.
        """
        if self._publisher is None:
            return
        async with self._publishing:
            self._pending = not await self._publisher.publish(self._report_id, self.current)

    async def publish_pending(self) -> None:
        if self._pending:
            await self.publish()
