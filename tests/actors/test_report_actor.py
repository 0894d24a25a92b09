from __future__ import annotations

import asyncio
import os
import signal
import uuid
from typing import Any

import pytest
import ray
from ray.exceptions import RayActorError

from actors import ReportGateway, directory, report_actor_handle, stop_report_actor
from actors.registry import running_report_actor
from config import Settings
from crdt import SectionNotFoundError
from storage import Database, ReportRepository

pytestmark = pytest.mark.usefixtures("ray_cluster")

CONTENT: dict[str, Any] = {
    "meta": {"title": "March report", "status": "completed"},
    "sections": [
        {
            "section_id": "executive_summary",
            "title": "Executive Summary",
            "body": "Work is on plan.",
            "order": 0,
            "metrics": {"cost_performance": 1.01},
            "ai_generated": True,
            "confidence_score": 0.7,
        }
    ],
    "insights": [{"title": "CPI stable", "confidence_score": 0.8}],
    "monte_carlo": {"budget_completion": {"p50": 0.98}},
    "metrics": {"key_metrics": {"risk_score": 0.2}},
}


def stored_update_count(settings: Settings, report_id: uuid.UUID) -> int:
    database = Database(settings.sqlalchemy_url)
    try:
        _, updates = ReportRepository(database).load(report_id)
    finally:
        database.dispose()
    return len(updates)


def test_generated_content_reads_back(
    session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    actor = report_actor_handle(new_report_id, session_settings)

    version = ray.get(actor.write_generated.remote(CONTENT))
    document = ray.get(actor.read.remote())

    assert version == 1
    assert document["sections"][0]["body"] == "Work is on plan."
    assert document["insights"] == CONTENT["insights"]
    assert document["monte_carlo"] == {"budget_completion": {"p50": 0.98}}
    assert stored_update_count(session_settings, new_report_id) == 1


def test_repeated_generation_keeps_sections_once(
    session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    actor = report_actor_handle(new_report_id, session_settings)

    ray.get(actor.write_generated.remote(CONTENT))
    ray.get(actor.write_generated.remote(CONTENT))
    document = ray.get(actor.read.remote())

    assert [section["section_id"] for section in document["sections"]] == ["executive_summary"]
    assert document["sections"][0]["body"] == "Work is on plan."


def test_report_survives_kill_of_actor_process(
    session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    actor = report_actor_handle(new_report_id, session_settings)
    ray.get(actor.write_generated.remote(CONTENT))
    ray.get(
        actor.update_section.remote(
            "executive_summary", title=None, body="Edited.", metrics=None, strategy="append"
        )
    )
    before = ray.get(actor.read.remote())
    pid = ray.get(actor.process_id.remote())

    os.kill(pid, signal.SIGKILL)
    after = asyncio.run(ReportGateway(session_settings).read_document(new_report_id))

    assert ray.get(actor.process_id.remote()) != pid
    assert after == before
    assert after["sections"][0]["body"] == "Work is on plan.\n\nEdited."


def test_update_of_unknown_section_stores_nothing(
    session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    actor = report_actor_handle(new_report_id, session_settings)
    ray.get(actor.write_generated.remote(CONTENT))

    with pytest.raises(SectionNotFoundError, match="'nope' not found"):
        ray.get(
            actor.update_section.remote(
                "nope", title="x", body=None, metrics=None, strategy="replace"
            )
        )

    assert stored_update_count(session_settings, new_report_id) == 1


def test_actor_for_unknown_report_fails_and_is_not_kept(session_settings: Settings) -> None:
    missing = uuid.uuid4()
    actor = report_actor_handle(missing, session_settings)

    with pytest.raises(RayActorError):
        ray.get(actor.read.remote())

    assert running_report_actor(missing, session_settings) is None
    assert directory.serving(session_settings, missing) is None


def test_concurrent_creation_yields_one_actor(
    session_settings: Settings, new_report_id: uuid.UUID
) -> None:
    @ray.remote(num_cpus=0)
    def open_report(report_id: uuid.UUID, settings: Settings) -> int:
        pid: int = ray.get(report_actor_handle(report_id, settings).process_id.remote())
        return pid

    pids = ray.get([open_report.remote(new_report_id, session_settings) for _ in range(6)])

    assert len(set(pids)) == 1
    assert stop_report_actor(new_report_id, session_settings)
