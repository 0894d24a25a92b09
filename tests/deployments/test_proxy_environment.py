"""The environment that puts HAProxy in front of the Serve replicas."""

from __future__ import annotations

import sys

import pytest

from config import Settings
from deployments.server import ServerStartError, proxy_environment

STATS = "RAY_SERVE_HAPROXY_STATS_PORT"
METRICS = "RAY_SERVE_HAPROXY_METRICS_PORT"


@pytest.fixture(autouse=True)
def _no_port_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STATS, raising=False)
    monkeypatch.delenv(METRICS, raising=False)


def test_off_uses_serve_proxy() -> None:
    assert proxy_environment(Settings(haproxy_binary="off")) == {}


def test_missing_binary_is_rejected_by_name() -> None:
    with pytest.raises(ServerStartError, match="/nonexistent/haproxy is not an executable"):
        proxy_environment(Settings(haproxy_binary="/nonexistent/haproxy"))


def test_local_instance_takes_free_ports() -> None:
    environment = proxy_environment(Settings(haproxy_binary=sys.executable))

    assert environment["RAY_SERVE_HAPROXY_BINARY_PATH"] == sys.executable
    assert int(environment[STATS]) > 0
    assert int(environment[METRICS]) > 0
    assert environment[STATS] != environment[METRICS]


def test_local_instance_keeps_configured_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STATS, "18404")

    environment = proxy_environment(Settings(haproxy_binary=sys.executable))

    assert environment[STATS] == "18404"
    assert int(environment[METRICS]) > 0


def test_cluster_keeps_serve_ports() -> None:
    settings = Settings(haproxy_binary=sys.executable, ray_address="ray://head:10001")

    environment = proxy_environment(settings)

    assert STATS not in environment
    assert METRICS not in environment
    assert environment["RAY_SERVE_ENABLE_HA_PROXY"] == "1"
