"""Job progress in Redis: the latest state of each job and a channel to follow it.

Every state the jobs table records is also published as JSON on the pub/sub channel
``pmr:job:<id>`` and kept under ``pmr:job:<id>:latest`` for a day. The jobs table stays
the record; Redis lets clients and replicas follow a job without polling the database.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import redis

from storage.redis_link import RedisLink
from storage.repositories.jobs import JobRecord

_PREFIX = "pmr:job:"
LATEST_TTL_SECONDS = 24 * 3600


def job_channel(job_id: uuid.UUID) -> str:
    """Return the pub/sub channel on which a job's states are published."""
    return f"{_PREFIX}{job_id}"


def latest_key(job_id: uuid.UUID) -> str:
    return f"{_PREFIX}{job_id}:latest"


def job_message(record: JobRecord) -> dict[str, Any]:
    """Return the JSON object published for one state of a job."""
    return {
        "job_id": str(record.id),
        "kind": record.kind,
        "status": record.status.value,
        "progress": record.progress,
        "message": record.message,
        "error": record.error,
        "report_id": str(record.report_id) if record.report_id else None,
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
    }


class JobProgressChannel:
    """Publishes job states to Redis from blocking code (Ray tasks, repository threads)."""

    def __init__(self, link: RedisLink) -> None:
        self._link = link

    def publish(self, record: JobRecord) -> bool:
        """Publish and keep ``record``'s state; return False when Redis failed."""
        payload = json.dumps(job_message(record))

        def send(client: redis.Redis) -> bool:
            pipeline = client.pipeline(transaction=False)
            pipeline.set(latest_key(record.id), payload, ex=LATEST_TTL_SECONDS)
            pipeline.publish(job_channel(record.id), payload)
            pipeline.execute()
            return True

        return bool(self._link.run_sync(send))

    async def latest(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        """Return the last published state of a job, or None when Redis has none."""
        value = await self._link.run(lambda client: client.get(latest_key(job_id)))
        if not isinstance(value, bytes):
            return None
        message: dict[str, Any] = json.loads(value)
        return message
