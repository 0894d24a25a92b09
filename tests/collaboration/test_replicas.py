"""Clients served by different API replicas edit one report and converge."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import ray

from actors import report_actor_handle
from config import Settings
from tests.collaboration.conftest import running_server

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server

CLIENTS = 8


@pytest.fixture(scope="module")
def two_replicas(
    session_settings: Settings, ray_cluster: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log_dir = tmp_path_factory.mktemp("node-logs")
    with running_server(
        session_settings, log_dir, serve_replicas=2, serve_replica_cpus=0.25
    ) as running:
        yield running
        running.close_clients()


def test_clients_on_two_replicas_converge(two_replicas: Server) -> None:
    report = two_replicas.new_report()
    section_id = report["sections"][0]["section_id"]
    clients = [two_replicas.yjs(report["id"], f"user{n}@example.com") for n in range(CLIENTS)]
    for client in clients:
        client.wait_synced()
    actor = report_actor_handle(uuid.UUID(report["id"]), two_replicas.settings)
    subscriptions = ray.get(actor.subscription_count.remote(), timeout=30)

    for number, client in enumerate(clients):
        client.insert(section_id, 0, f"[{number}]", label=f"edit-{number}")
    markers = [f"[{number}]" for number in range(CLIENTS)]
    for client in clients:
        client.wait_text(section_id, lambda text: all(marker in text for marker in markers))
    texts = [client.text(section_id) for client in clients]

    # Both replicas hold sockets of this report, each through one subscription.
    assert subscriptions == 2
    assert texts == [texts[0]] * CLIENTS
