"""Frames from a report actor to the Serve replicas that hold its WebSockets.

Each replica subscribes once per report and gets its own bounded queue, which the report's
stream to that replica drains (actors/stream.py). A frame is encoded once and queued once
per replica, whatever the number of sockets behind it; the replica copies it to its
sockets. A queue that overflows closes its subscription rather than drop a frame, because
a Yjs client missing one update stays out of sync until it reconnects.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pycrdt import merge_updates

from crdt.protocol import sync_update

logger = logging.getLogger(__name__)

# Frames a subscription may hold before its replica counts as too slow.
SUBSCRIPTION_QUEUE_FRAMES = 10_000
# A subscription not drained for this long is taken for dead: its replica got a ticket but
# never opened the stream.
SUBSCRIPTION_TIMEOUT_SECONDS = 30.0
# pycrdt 0.14's merge_updates takes time quadratic in the number of updates it gets, so a
# long run merges in chunks of this many updates, and then the chunks merge. Measured on
# 10,000 one-character updates once, outside bench/ (2 cores): 0.52 s at once, 14 ms in chunks.
_MERGE_CHUNK_UPDATES = 64


class FrameKind(StrEnum):
    BINARY = "binary"  # y-websocket frames, for Yjs clients
    TEXT = "text"  # JSON events, for plain JSON clients


@dataclass(frozen=True, slots=True)
class Frame:
    """One outgoing frame; ``targets`` None means every connection of its kind."""

    kind: FrameKind
    payload: bytes | str
    targets: frozenset[str] | None = None
    # Wall-clock time (time.time()) at which the update in this frame was stored, if any.
    stored_at: float | None = None
    # The Yjs update a broadcast sync-update frame carries, so that queued ones can merge.
    update: bytes | None = None
    # Set on a frame that many replies repeat (a report's whole document): a stream carries
    # its payload once, then only this id, and the replica sends its copy.
    shared_id: int | None = None


@dataclass(frozen=True, slots=True)
class Close:
    """An instruction to close connections with a WebSocket close code."""

    code: int
    reason: str
    targets: frozenset[str] | None = None


Outgoing = Frame | Close


class SubscriptionClosedError(Exception):
    """The subscription is gone: its replica must close its sockets so clients resync."""

    def __init__(self, subscription_id: str, reason: str) -> None:
        super().__init__(subscription_id, reason)
        self.subscription_id = subscription_id
        self.reason = reason

    def __str__(self) -> str:
        return f"subscription {self.subscription_id} closed: {self.reason}"


# Writes frames to a subscription's replica at once; returns False when it cannot now.
DirectWrite = Callable[[list["Outgoing"]], bool]


class _Subscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Outgoing] = asyncio.Queue(SUBSCRIPTION_QUEUE_FRAMES)
        self.last_poll = time.monotonic()
        self.closed_reason: str | None = None
        self.direct: DirectWrite | None = None


class Outbox:
    """The subscriptions of one report actor."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, _Subscription] = {}

    def subscribe(self) -> str:
        subscription_id = uuid.uuid4().hex
        self._subscriptions[subscription_id] = _Subscription()
        return subscription_id

    def unsubscribe(self, subscription_id: str) -> None:
        self._subscriptions.pop(subscription_id, None)

    @property
    def subscriptions(self) -> list[str]:
        return list(self._subscriptions)

    def attach(self, subscription_id: str, direct: DirectWrite | None) -> None:
        """Let ``direct`` take the subscription's frames while none wait in its queue.

        A frame then reaches the replica's stream without waiting for the task that drains
        the queue to be scheduled. ``direct`` declines (returns False) when its stream is
        backed up. The frame is then queued, and so are the frames after it until the queue
        is drained, so their order holds. None detaches.
        """
        subscription = self._subscriptions.get(subscription_id)
        if subscription is not None:
            subscription.direct = direct

    def publish(self, item: Outgoing, only: str | None = None) -> list[str]:
        """Queue ``item`` for every subscription, or ``only`` one; return those that overflowed."""
        overflowed = []
        for subscription_id, subscription in self._subscriptions.items():
            if only is not None and subscription_id != only:
                continue
            if subscription.closed_reason is not None:
                continue
            direct = subscription.direct
            if direct is not None and subscription.queue.empty() and direct([item]):
                continue
            try:
                subscription.queue.put_nowait(item)
            except asyncio.QueueFull:
                subscription.closed_reason = (
                    f"more than {SUBSCRIPTION_QUEUE_FRAMES} frames waited for the replica"
                )
                overflowed.append(subscription_id)
        return overflowed

    async def poll(self, subscription_id: str, wait_seconds: float) -> list[Outgoing]:
        """Return the queued frames, waiting up to ``wait_seconds`` for the first."""
        subscription = self._subscriptions.get(subscription_id)
        if subscription is None:
            raise SubscriptionClosedError(subscription_id, "unknown to this actor (it restarted?)")
        subscription.last_poll = time.monotonic()
        if subscription.closed_reason is not None:
            self._subscriptions.pop(subscription_id, None)
            raise SubscriptionClosedError(subscription_id, subscription.closed_reason)
        items: list[Outgoing] = []
        if subscription.queue.empty():
            # A timeout block, unlike Python 3.11's wait_for, starts no task per call and
            # never swallows a cancellation that arrives as the frame does.
            try:
                async with asyncio.timeout(wait_seconds):
                    items.append(await subscription.queue.get())
            except TimeoutError:
                return []
        while not subscription.queue.empty():
            items.append(subscription.queue.get_nowait())
        subscription.last_poll = time.monotonic()
        return coalesce_updates(items)

    def stale(self, now: float | None = None) -> list[str]:
        """Return subscriptions whose replica stopped polling, and forget them."""
        moment = time.monotonic() if now is None else now
        gone = [
            subscription_id
            for subscription_id, subscription in self._subscriptions.items()
            if moment - subscription.last_poll > SUBSCRIPTION_TIMEOUT_SECONDS
        ]
        for subscription_id in gone:
            logger.warning("subscription %s stopped polling; dropping it", subscription_id)
            self._subscriptions.pop(subscription_id, None)
        return gone


def coalesce_updates(items: list[Outgoing]) -> list[Outgoing]:
    """Merge each run of queued broadcast document updates into one sync-update frame.

    A replica or a socket that falls behind then gets one frame for all the updates it
    missed instead of one per update, so the cost of catching up does not grow with the
    backlog. Frames keep their order: only updates next to each other merge. The last
    merge is remembered, because the sockets of a room usually queue the same frames.
    """
    merged: list[Outgoing] = []
    run: list[Frame] = []
    for item in items:
        if isinstance(item, Frame) and item.update is not None and item.targets is None:
            run.append(item)
            continue
        merged.extend(_merged_run(run))
        run = []
        merged.append(item)
    merged.extend(_merged_run(run))
    return merged


class _LastMerge:
    """The frames of the last merged run, by identity, and the frame they merged into."""

    run: tuple[Frame, ...] = ()
    merged: Frame | None = None


def _merged_run(run: list[Frame]) -> list[Frame]:
    if len(run) < 2:
        return run
    last = _LastMerge
    if (
        last.merged is not None
        and len(last.run) == len(run)
        and all(seen is frame for seen, frame in zip(last.run, run, strict=True))
    ):
        return [last.merged]
    update = _merge([frame.update for frame in run if frame.update is not None])
    stored = [frame.stored_at for frame in run if frame.stored_at is not None]
    merged = Frame(
        FrameKind.BINARY,
        sync_update(update),
        stored_at=min(stored) if stored else None,
        update=update,
    )
    last.run, last.merged = tuple(run), merged
    return [merged]


def _merge(updates: list[bytes]) -> bytes:
    """Merge updates in chunks, because merging all at once takes quadratic time."""
    while len(updates) > 1:
        updates = [
            merge_updates(*updates[start : start + _MERGE_CHUNK_UPDATES])
            for start in range(0, len(updates), _MERGE_CHUNK_UPDATES)
        ]
    return updates[0]
