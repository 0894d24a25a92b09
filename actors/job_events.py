"""Side effects of a job state change beyond the jobs table: Redis progress and metrics."""

from __future__ import annotations

from actors import metrics
from config import Settings
from storage import JobRecord
from storage.job_progress import JobProgressChannel
from storage.redis_link import shared_link
from storage.repositories.jobs import JobObserver


def job_observer(settings: Settings) -> JobObserver:
    """Return the observer that publishes each job state to Redis and records job metrics."""
    channel = None
    if settings.redis_url:
        channel = JobProgressChannel(
            shared_link(settings.redis_url, settings.redis_timeout_seconds)
        )

    def observe(record: JobRecord) -> None:
        if channel is not None:
            channel.publish(record)
        metrics.job_changed(record)

    return observe
