"""Prometheus metrics of the server, recorded through Ray's metrics API.

Ray exports every process's metrics on its node's metrics export port with the prefix
``ray_`` and the labels WorkerId and NodeAddress. docs/operations.md shows how to scrape
them. Metrics exist only in processes connected to Ray, so each function here does nothing
in a process without Ray, such as the command line's import.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import ray
from ray.util.metrics import Counter, Gauge, Histogram

from storage import JobRecord, JobStatus

logger = logging.getLogger(__name__)

# Seconds from an update being stored to its frame leaving the actor for a replica.
_FANOUT_BOUNDARIES = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]
_JOB_BOUNDARIES = [0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0]


@cache
def _metrics() -> dict[str, Any]:
    return {
        "reports": Gauge(
            "pmr_reports_loaded",
            description="Report actors loaded: 1 per live actor process, 0 once unloaded.",
        ),
        "connections": Gauge(
            "pmr_connections",
            description="Open collaboration WebSockets of a report actor, by frame kind.",
            tag_keys=("kind",),
        ),
        "updates": Counter(
            "pmr_document_updates",
            description="Report document updates stored and applied, by source.",
            tag_keys=("source",),
        ),
        "fanout": Histogram(
            "pmr_fanout_seconds",
            description="Time from an update being stored to its frame being handed to a "
            "replica's poll.",
            boundaries=_FANOUT_BOUNDARIES,
        ),
        "job_seconds": Histogram(
            "pmr_job_duration_seconds",
            description="Duration of finished jobs from start (or queueing) to end.",
            boundaries=_JOB_BOUNDARIES,
            tag_keys=("kind", "status"),
        ),
        "job_failures": Counter(
            "pmr_job_failures",
            description="Jobs that ended failed, by kind.",
            tag_keys=("kind",),
        ),
        "cache": Counter(
            "pmr_report_cache_lookups",
            description="Report body cache lookups, by result (hit or miss) and store.",
            tag_keys=("result", "store"),
        ),
    }


def _recording() -> dict[str, Any] | None:
    return _metrics() if ray.is_initialized() else None


def report_loaded(loaded: bool) -> None:
    """Set this actor process's report gauge: 1 when its report is loaded, 0 after."""
    metrics = _recording()
    if metrics is not None:
        metrics["reports"].set(1 if loaded else 0)


def connections_open(binary: int, text: int) -> None:
    """Set this actor process's count of open connections of each frame kind."""
    metrics = _recording()
    if metrics is not None:
        metrics["connections"].set(binary, tags={"kind": "binary"})
        metrics["connections"].set(text, tags={"kind": "text"})


def document_updated(source: str) -> None:
    """Count one stored and applied update; ``source`` is ``client`` or ``server``."""
    metrics = _recording()
    if metrics is not None:
        metrics["updates"].inc(1, tags={"source": source})


def fanout_observed(seconds: float) -> None:
    metrics = _recording()
    if metrics is not None:
        metrics["fanout"].observe(max(seconds, 0.0))


def cache_lookup(hit: bool, store: str) -> None:
    """Count one report cache lookup in ``store`` (``redis`` or ``local``)."""
    metrics = _recording()
    if metrics is not None:
        metrics["cache"].inc(1, tags={"result": "hit" if hit else "miss", "store": store})


def job_changed(record: JobRecord) -> None:
    """Record a finished job's duration by kind and outcome, and count it if it failed."""
    metrics = _recording()
    if metrics is None or not record.status.is_finished or record.finished_at is None:
        return
    started = record.started_at or record.created_at
    seconds = max((record.finished_at - started).total_seconds(), 0.0)
    tags = {"kind": record.kind, "status": record.status.value}
    metrics["job_seconds"].observe(seconds, tags=tags)
    if record.status is JobStatus.FAILED:
        metrics["job_failures"].inc(1, tags={"kind": record.kind})
