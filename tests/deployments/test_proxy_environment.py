"""The environment that puts HAProxy in front of the Serve replicas."""

from __future__ import annotations

import sys

import pytest

from config import Settings
from deployments.server import ServerStartError, proxy_environment, serve_environment


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
