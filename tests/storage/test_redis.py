"""Redis storage: report cache, revisions, rate counters, job progress, and Redis outages.

Most tests use the machine's Redis on a dedicated database that each test flushes; the
outage tests start a private redis-server and kill and restart only that one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from storage import Database, JobRecord, JobRepository
from storage.cache import ReportCache, RevisionPublisher, body_key
from storage.counters import WindowCounter
from storage.job_progress import JobProgressChannel, job_channel
from storage.redis_link import RedisLink
from tests.storage.redis_server import PrivateRedis, flushed_redis_url, private_redis

REPORT = uuid.UUID("00000000-0000-0000-0000-0000000000c1")
RECOVERY_DEADLINE_SECONDS = 40.0


@pytest.fixture
def redis_url() -> Iterator[str]:
    yield from flushed_redis_url()


@pytest.fixture
def private() -> Iterator[PrivateRedis]:
    yield from private_redis()


@pytest.fixture
def link(redis_url: str) -> Iterator[RedisLink]:
    link = RedisLink(redis_url)
    yield link
    link.close_sync()


async def test_cache_returns_body_of_its_revision_only(link: RedisLink) -> None:
    cache = ReportCache(link, ttl_seconds=60)

    await cache.put(REPORT, "rev-a", b'{"version": 1}')

    assert await cache.get(REPORT, "rev-a") == b'{"version": 1}'
    assert await cache.get(REPORT, "rev-b") is None


async def test_cached_body_expires_after_ttl(link: RedisLink, redis_url: str) -> None:
    cache = ReportCache(link, ttl_seconds=30)

    await cache.put(REPORT, "rev-a", b"{}")

    remaining = redis.Redis.from_url(redis_url).pttl(body_key(REPORT, "rev-a"))
    assert 0 < remaining <= 30_000


async def test_published_revision_reads_back(link: RedisLink) -> None:
    publisher = RevisionPublisher(link)

    published = await publisher.publish(REPORT, "rev-1")
    published_sync = publisher.publish_sync(REPORT, "rev-2")

    assert published
    assert published_sync
    assert await ReportCache(link).revision(REPORT) == "rev-2"


async def test_local_cache_evicts_least_recently_used() -> None:
    cache = ReportCache(None, local_entries=2)
    await cache.put(REPORT, "a", b"A")
    await cache.put(REPORT, "b", b"B")
    await cache.get(REPORT, "a")

    await cache.put(REPORT, "c", b"C")

    assert await cache.get(REPORT, "a") == b"A"
    assert await cache.get(REPORT, "b") is None
    assert await cache.get(REPORT, "c") == b"C"
    assert await cache.revision(REPORT) is None


async def test_redis_counter_is_shared_between_replicas(redis_url: str) -> None:
    replicas = [WindowCounter(RedisLink(redis_url), window_seconds=60) for _ in range(2)]

    counts = [(await replicas[index % 2].hit("user:ann")).count for index in range(5)]

    assert counts == [1, 2, 3, 4, 5]


async def test_local_counter_counts_per_key() -> None:
    counter = WindowCounter(None, window_seconds=60)

    first = [(await counter.hit("address:a")).count for _ in range(3)]
    other = await counter.hit("address:b")

    assert first == [1, 2, 3]
    assert other.count == 1
    assert 1 <= other.retry_after <= 60


def test_job_states_are_published_in_order(redis_url: str, tmp_path: Path) -> None:
    link = RedisLink(redis_url)
    channel = JobProgressChannel(link)
    database = Database(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    database.migrate()

    def publish(record: JobRecord) -> None:
        channel.publish(record)

    jobs = JobRepository(database, on_change=publish)
    subscriber = redis.Redis.from_url(redis_url).pubsub()
    job = jobs.create("export")
    subscriber.subscribe(job_channel(job.id))
    subscriber.get_message(timeout=5)  # the subscription's confirmation

    jobs.start(job.id)
    jobs.progress(job.id, 0.5, "half way")
    jobs.complete(job.id, result={"ok": True})

    messages = [_next_message(subscriber) for _ in range(3)]
    latest = asyncio.run(channel.latest(job.id))
    assert [(m["status"], m["progress"]) for m in messages] == [
        ("running", 0.0),
        ("running", 0.5),
        ("completed", 1.0),
    ]
    assert messages[1]["message"] == "half way"
    assert latest is not None
    assert latest["status"] == "completed"
    database.dispose()
    link.close_sync()


def _next_message(subscriber: redis.client.PubSub) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = subscriber.get_message(timeout=1)
        if message is not None and message["type"] == "message":
            decoded: dict[str, object] = json.loads(message["data"])
            return decoded
    raise AssertionError("no job message arrived within 10 s")


def _records(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "storage.redis_link"
        and record.levelno == level
        and text in record.getMessage()
    ]


async def test_outage_is_logged_once_and_recovery_once(
    private: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storage.redis_link")
    link = RedisLink(private.url, timeout_seconds=0.5)
    cache = ReportCache(link)
    await cache.put(REPORT, "before", b"B")

    private.kill()
    started = time.monotonic()
    misses = [await cache.get(REPORT, "before") for _ in range(20)]
    elapsed = time.monotonic() - started
    private.start()
    recovered = await _wait_for_put(cache)

    assert misses == [None] * 20
    assert elapsed < 5.0
    assert len(_records(caplog, logging.WARNING, "is unreachable")) == 1
    assert "Start redis-server or correct PMR_REDIS_URL" in caplog.text
    assert recovered
    assert len(_records(caplog, logging.INFO, "is reachable again")) == 1
    assert await cache.get(REPORT, "after") == b"A"
    await link.close()


async def _wait_for_put(cache: ReportCache) -> bool:
    """Put a body until Redis takes it again, under a deadline; the link paces the attempts."""
    deadline = time.monotonic() + RECOVERY_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        await cache.put(REPORT, "after", b"A")
        if await cache.get(REPORT, "after") == b"A":
            return True
        await asyncio.sleep(0.1)
    return False


def test_blocking_client_survives_outage(private: PrivateRedis, tmp_path: Path) -> None:
    link = RedisLink(private.url, timeout_seconds=0.5)
    publisher = RevisionPublisher(link)
    assert publisher.publish_sync(REPORT, "one")

    private.kill()
    while_down = publisher.publish_sync(REPORT, "two")
    private.start()
    deadline = time.monotonic() + RECOVERY_DEADLINE_SECONDS
    after = False
    while not after and time.monotonic() < deadline:
        after = publisher.publish_sync(REPORT, "three")
        if not after:
            time.sleep(0.1)

    assert not while_down
    assert after
    assert redis.Redis(port=private.port).get(f"pmr:report:{REPORT}:revision") == b"three"
    link.close_sync()
