"""Server metrics recorded through Ray's metrics API and read back from the node's exporter."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import ray

from actors import metrics, report_actor_handle
from config import Settings
from storage import JobRecord, JobStatus

pytestmark = pytest.mark.usefixtures("ray_cluster")

# Ray's agents export recorded values every few seconds (the report interval of Ray 2.x).
EXPORT_DEADLINE_SECONDS = 90.0
EXPECTED = (
    "ray_pmr_reports_loaded",
    "ray_pmr_document_updates",
    "ray_pmr_report_cache_lookups",
    "ray_pmr_job_duration_seconds",
    "ray_pmr_job_failures",
)


def exported_text() -> str:
    node = ray.nodes()[0]  # type: ignore[no-untyped-call]
    port = node["MetricsExportPort"]
    address = node["NodeManagerAddress"]
    return httpx.get(f"http://{address}:{port}/metrics", timeout=10).text


def failed_job() -> JobRecord:
    finished = datetime.now(UTC)
    return JobRecord(
        id=uuid.uuid4(),
        kind="export",
        status=JobStatus.FAILED,
        progress=1.0,
        message="",
        error="disk full",
        result=None,
        project_id=None,
        report_id=None,
        created_at=finished - timedelta(seconds=3),
        started_at=finished - timedelta(seconds=2),
        finished_at=finished,
    )


def test_metrics_reach_the_node_exporter(
    session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    actor = report_actor_handle(new_report_id, session_settings)
    ray.get(actor.write_generated.remote({"meta": {"title": "Metrics"}, "sections": []}))
    metrics.cache_lookup(True, "local")
    metrics.cache_lookup(False, "local")
    metrics.job_changed(failed_job())

    deadline = time.monotonic() + EXPORT_DEADLINE_SECONDS
    text = exported_text()
    while not all(name in text for name in EXPECTED) and time.monotonic() < deadline:
        time.sleep(1.0)
        text = exported_text()

    for name in EXPECTED:
        assert name in text, f"{name} missing from the node's metrics export"
    assert 'result="hit"' in text
    assert 'kind="export"' in text
