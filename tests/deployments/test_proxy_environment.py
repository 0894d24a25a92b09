"""The environment that puts HAProxy in front of the Serve replicas."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ray.serve._private import constants as serve_constants

from config import Settings
from deployments.server import (
    ServerStartError,
    check_haproxy_ports,
    haproxy_folders,
    proxy_environment,
    remove_haproxy_files,
    serve_environment,
)


def test_off_uses_serve_proxy() -> None:
    assert proxy_environment(Settings(haproxy_binary="off")) == {}


def test_missing_binary_is_rejected_by_name() -> None:
    with pytest.raises(ServerStartError, match="/nonexistent/haproxy is not an executable"):
        proxy_environment(Settings(haproxy_binary="/nonexistent/haproxy"))


def test_configured_binary_turns_haproxy_on() -> None:
    environment = proxy_environment(Settings(haproxy_binary=sys.executable))

    assert environment["RAY_SERVE_ENABLE_HA_PROXY"] == "1"
    assert environment["RAY_SERVE_ENABLE_DIRECT_INGRESS"] == "1"
    assert environment["RAY_SERVE_HAPROXY_BINARY_PATH"] == sys.executable
    assert environment["RAY_SERVE_HAPROXY_NBTHREAD"] == "1"


def test_haproxy_threads_come_from_settings() -> None:
    settings = Settings(haproxy_binary=sys.executable, haproxy_threads=3)

    assert proxy_environment(settings)["RAY_SERVE_HAPROXY_NBTHREAD"] == "3"


@pytest.mark.parametrize("haproxy", ["off", sys.executable], ids=["default proxy", "haproxy"])
def test_replicas_run_the_application_on_their_main_loop(haproxy: str) -> None:
    environment = serve_environment(Settings(haproxy_binary=haproxy))

    assert environment["RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD"] == "0"


def test_server_timeout_follows_client_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(haproxy_binary=sys.executable)
    monkeypatch.delenv("RAY_SERVE_HAPROXY_TIMEOUT_SERVER_S", raising=False)
    monkeypatch.delenv("RAY_SERVE_HAPROXY_TIMEOUT_CLIENT_S", raising=False)
    assert proxy_environment(settings)["RAY_SERVE_HAPROXY_TIMEOUT_SERVER_S"] == "3600"

    monkeypatch.setenv("RAY_SERVE_HAPROXY_TIMEOUT_CLIENT_S", "600")
    assert proxy_environment(settings)["RAY_SERVE_HAPROXY_TIMEOUT_SERVER_S"] == "600"

    monkeypatch.setenv("RAY_SERVE_HAPROXY_TIMEOUT_SERVER_S", "90")
    assert proxy_environment(settings)["RAY_SERVE_HAPROXY_TIMEOUT_SERVER_S"] == "90"


@pytest.fixture
def haproxy_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point Serve's HAProxy paths into a temporary folder, as Serve lays them out."""
    base = tmp_path / "haproxy-serve"
    for name, file in (
        ("RAY_SERVE_HAPROXY_CONFIG_FILE_LOC", "haproxy.cfg"),
        ("RAY_SERVE_HAPROXY_SOCKET_PATH", "admin.sock"),
        ("RAY_SERVE_HAPROXY_SERVER_STATE_FILE", "server-state"),
        ("RAY_SERVE_HAPROXY_METRICS_SOCKET_PATH", "metrics.sock"),
    ):
        monkeypatch.setattr(serve_constants, name, str(base / file))
    return base


def test_stopped_node_leaves_no_haproxy_files(haproxy_base: Path) -> None:
    assert haproxy_folders("node-a") == {haproxy_base / "node-a"}
    (haproxy_base / "node-a").mkdir(parents=True)
    (haproxy_base / "node-a" / "haproxy.cfg").write_text("global\n")

    remove_haproxy_files("node-a")

    assert not haproxy_base.exists()


def test_other_nodes_keep_their_haproxy_files(haproxy_base: Path) -> None:
    for node in ("node-a", "node-b"):
        (haproxy_base / node).mkdir(parents=True)
        (haproxy_base / node / "server-state").write_text("1\n")

    remove_haproxy_files("node-a")

    assert not (haproxy_base / "node-a").exists()
    assert (haproxy_base / "node-b" / "server-state").read_text() == "1\n"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port that a listening socket holds on all interfaces, as HAProxy binds them."""
    with socket.socket() as holder:
        holder.bind(("", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize(
    ("variable", "purpose"),
    [
        ("RAY_SERVE_HAPROXY_STATS_PORT", "statistics page"),
        ("RAY_SERVE_HAPROXY_METRICS_PORT", "metrics"),
    ],
)
def test_taken_haproxy_port_is_named_before_start(
    variable: str, purpose: str, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("RAY_SERVE_HAPROXY_STATS_PORT", "RAY_SERVE_HAPROXY_METRICS_PORT"):
        monkeypatch.setenv(name, str(free_port()))
    monkeypatch.setenv(variable, str(taken_port))

    with pytest.raises(ServerStartError) as raised:
        check_haproxy_ports()

    message = str(raised.value)
    assert f"*:{taken_port}" in message
    assert f"HAProxy's {purpose} another port with {variable}" in message


def test_free_haproxy_ports_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_SERVE_HAPROXY_STATS_PORT", str(free_port()))
    monkeypatch.setenv("RAY_SERVE_HAPROXY_METRICS_PORT", str(free_port()))

    check_haproxy_ports()


def test_haproxy_port_that_is_no_number_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_SERVE_HAPROXY_STATS_PORT", "eighty")

    with pytest.raises(ServerStartError, match="RAY_SERVE_HAPROXY_STATS_PORT='eighty' is not"):
        check_haproxy_ports()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return int(probe.getsockname()[1])
