"""Opening reports through the WebSocket on a server that keeps a spare report actor."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import ray

from actors import directory, report_actor_handle, stop_report_actor
from actors.registry import stop_spares
from config import Settings
from tests.collaboration.conftest import running_server

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server


@pytest.fixture(scope="module")
def with_spare(
    session_settings: Settings, ray_cluster: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log_dir = tmp_path_factory.mktemp("node-logs")
    with running_server(session_settings, log_dir, actor_spares=1) as running:
        yield running
        running.close_clients()
        stop_spares(running.settings)


def listed_spare(settings: Settings, other_than: str | None = None) -> str:
    """Wait until a spare other than ``other_than`` is listed and return its name."""
    deadline = time.monotonic() + 60
    while True:
        names = [name for name in directory.spares(settings) if name != other_than]
        if names:
            return names[0]
        assert time.monotonic() < deadline, "no spare report actor was listed within 60 s"
        time.sleep(0.05)


def pid_of(name: str, settings: Settings) -> int:
    handle: Any = ray.get_actor(name, namespace=settings.ray_namespace)
    pid: int = ray.get(handle.process_id.remote(), timeout=30)
    return pid


def test_websocket_open_claims_the_spare(with_spare: Server) -> None:
    settings = with_spare.settings
    report = with_spare.new_report()
    report_id = uuid.UUID(report["id"])
    section_id = report["sections"][0]["section_id"]
    stop_report_actor(report_id, settings)
    spare = listed_spare(settings)
    spare_pid = pid_of(spare, settings)

    ann = with_spare.yjs(report["id"], "ann@example.com")
    ann.wait_synced()
    ann.insert(section_id, 0, "Written into the spare. ", label="spare")
    ann.wait_echo("spare")
    bob = with_spare.yjs(report["id"], "bob@example.com")
    bob.wait_synced()
    serving_pid = ray.get(report_actor_handle(report_id, settings).process_id.remote(), timeout=30)

    assert directory.serving(settings, report_id) == spare
    assert serving_pid == spare_pid
    assert bob.text(section_id).startswith("Written into the spare. ")
    assert listed_spare(settings, other_than=spare) != spare
