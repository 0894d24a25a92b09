"""The environment that puts HAProxy in front of the Serve replicas."""

from __future__ import annotations

import sys

import pytest

from config import Settings
from deployments.server import ServerStartError, proxy_environment

STATS = "RAY_SERVE_HAPROXY_STATS_PORT"
METRICS = "RAY_SERVE_HAPROXY_METRICS_PORT"
FALLBACK = "RAY_SERVE_FALLBACK_PROXY_HTTP_PORT"
FALLBACK_GRPC = "RAY_SERVE_FALLBACK_PROXY_GRPC_PORT"
PORT_VARIABLES = (STATS, METRICS, FALLBACK, FALLBACK_GRPC)


@pytest.fixture(autouse=True)
def _no_port_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in PORT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


def test_off_uses_serve_proxy() -> None:
    assert proxy_environment(Settings(haproxy_binary="off")) == {}


def test_missing_binary_is_rejected_by_name() -> None:
    with pytest.raises(ServerStartError, match="/nonexistent/haproxy is not an executable"):
        proxy_environment(Settings(haproxy_binary="/nonexistent/haproxy"))


def test_local_instance_takes_free_ports() -> None:
    environment = proxy_environment(Settings(haproxy_binary=sys.executable))

    assert environment["RAY_SERVE_HAPROXY_BINARY_PATH"] == sys.executable
    ports = [int(environment[variable]) for variable in PORT_VARIABLES]
    assert all(port > 0 for port in ports), ports
    assert len(set(ports)) == len(ports), ports


def test_local_instance_keeps_configured_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STATS, "18404")

    environment = proxy_environment(Settings(haproxy_binary=sys.executable))

    assert environment[STATS] == "18404"
    assert int(environment[METRICS]) > 0


def test_cluster_keeps_serve_ports() -> None:
    settings = Settings(haproxy_binary=sys.executable, ray_address="ray://head:10001")

    environment = proxy_environment(settings)

    for variable in PORT_VARIABLES:
        assert variable not in environment
    assert environment["RAY_SERVE_ENABLE_HA_PROXY"] == "1"
