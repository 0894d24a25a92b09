"""Report actors unloading when idle, on a server started with a one-second idle timeout."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import ray

from actors import report_actor_handle
from actors.registry import running_report_actor
from config import Settings
from crdt import ReportDocument
from storage import Database, ReportRepository
from tests.collaboration.conftest import running_server

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server

IDLE_SECONDS = 1.0
# Reconnect delays after a disconnect, swept across the moment the actor unloads: idle
# for more than IDLE_SECONDS, noticed by housekeeping that runs once a second.
RECONNECT_DELAYS = [0.8 + 0.15 * step for step in range(11)]


@pytest.fixture(scope="module")
def short_idle(
    session_settings: Settings, ray_cluster: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log_dir = tmp_path_factory.mktemp("node-logs")
    with running_server(
        session_settings, log_dir, actor_idle_timeout_seconds=IDLE_SECONDS
    ) as running:
        yield running
        running.close_clients()


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    """Poll ``condition`` under a deadline; Ray sends no event when an actor exits."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {timeout} s"
        time.sleep(0.05)


def actor_running(served: Server, report_id: str) -> bool:
    return running_report_actor(uuid.UUID(report_id), served.settings) is not None


def stored_bodies(served: Server, report_id: str) -> dict[str, Any]:
    database = Database(served.settings.sqlalchemy_url)
    try:
        snapshot, rows = ReportRepository(database).load(uuid.UUID(report_id))
    finally:
        database.dispose()
    stored = ([snapshot] if snapshot else []) + [update for _, update in rows]
    sections = ReportDocument.from_updates(stored).to_dict()["sections"]
    return {section["section_id"]: section["body"] for section in sections}


def test_idle_actor_unloads_after_flush_and_reloads(short_idle: Server) -> None:
    report = short_idle.new_report()
    section_id = report["sections"][0]["section_id"]
    ann = short_idle.yjs(report["id"], "ann@example.com")
    ann.wait_synced()
    actor = report_actor_handle(uuid.UUID(report["id"]), short_idle.settings)
    first_pid = ray.get(actor.process_id.remote(), timeout=30)
    ann.insert(section_id, 0, "Kept across the unload. ", label="kept")
    ann.wait_echo("kept")

    ann.request("disconnect")
    wait_for(lambda: not actor_running(short_idle, report["id"]), timeout=30)
    flushed = stored_bodies(short_idle, report["id"])
    bob = short_idle.yjs(report["id"], "bob@example.com")
    bob.wait_synced()
    second_pid = ray.get(
        report_actor_handle(uuid.UUID(report["id"]), short_idle.settings).process_id.remote(),
        timeout=30,
    )

    assert flushed[section_id].startswith("Kept across the unload. ")
    assert bob.text(section_id) == flushed[section_id]
    assert bob.text(section_id).count("Kept across the unload.") == 1
    assert second_pid != first_pid


def test_reconnect_racing_unload_is_safe(short_idle: Server) -> None:
    report = short_idle.new_report()
    section_id = report["sections"][0]["section_id"]
    ann = short_idle.yjs(report["id"], "ann@example.com")
    ann.wait_synced()
    pids = set()

    for cycle, delay in enumerate(RECONNECT_DELAYS):
        ann.request("disconnect")
        # The delay is the input of this test: each cycle reconnects at another moment
        # relative to the unload, so that some land while it runs.
        time.sleep(delay)
        mark = len(ann.events)
        ann.request("connect")
        ann.wait_event(lambda event: event["event"] == "synced", timeout=30, after=mark)
        ann.insert(section_id, -1, f" <cycle {cycle}>", label=f"cycle-{cycle}")
        ann.wait_echo(f"cycle-{cycle}", timeout=30)
        actor = report_actor_handle(uuid.UUID(report["id"]), short_idle.settings)
        pids.add(ray.get(actor.process_id.remote(), timeout=30))
    fresh = short_idle.yjs(report["id"], "bob@example.com")
    fresh.wait_synced()
    text = fresh.text(section_id)

    assert len(pids) >= 2, "no cycle saw the actor unload; the sweep tested nothing"
    assert [text.count(f" <cycle {cycle}>") for cycle in range(len(RECONNECT_DELAYS))] == [
        1
    ] * len(RECONNECT_DELAYS)
    assert ann.text(section_id) == text


def test_reports_opened_in_turn_all_unload(short_idle: Server) -> None:
    reports = [short_idle.new_report()["id"] for _ in range(8)]

    for report_id in reports:
        client = short_idle.yjs(report_id, "ann@example.com")
        client.wait_synced()
        client.close()
    wait_for(lambda: not any(actor_running(short_idle, r) for r in reports), timeout=120)

    # Each report's actor went away once idle, so opening more reports holds no more memory.
    assert [actor_running(short_idle, r) for r in reports] == [False] * len(reports)
