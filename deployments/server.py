"""Starting and stopping the Serve application."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import time
from pathlib import Path

import ray
from ray import serve
from ray.serve._private import constants as serve_constants

from actors import connect, fill_pool, prepare_simulation_kernels
from config import Settings
from deployments.ingress import PmrIngress
from storage import Database

logger = logging.getLogger(__name__)

APPLICATION = "pmr"
# Serve's controller actor: its name and namespace in Ray 2.60.
_CONTROLLER_NAME = "SERVE_CONTROLLER_ACTOR"
_SERVE_NAMESPACE = "serve"
_CONTROLLER_EXIT_SECONDS = 60.0
# serve.shutdown() in Ray 2.60 waits this long for the controller before it returns.
_SERVE_SHUTDOWN_WAIT_SECONDS = 30.0
# Maximum time stop() waits before it kills the controller, Serve's wait plus ours.
MAX_STOP_SECONDS = _SERVE_SHUTDOWN_WAIT_SECONDS + _CONTROLLER_EXIT_SECONDS
_HAPROXY_SERVER_TIMEOUT = "RAY_SERVE_HAPROXY_TIMEOUT_SERVER_S"
_HAPROXY_CLIENT_TIMEOUT = "RAY_SERVE_HAPROXY_TIMEOUT_CLIENT_S"
_HAPROXY_STATS_PORT = "RAY_SERVE_HAPROXY_STATS_PORT"
_HAPROXY_METRICS_PORT = "RAY_SERVE_HAPROXY_METRICS_PORT"
# Serve's default for the client side, in seconds, in Ray 2.60.
_SERVE_HAPROXY_CLIENT_TIMEOUT_S = "3600"


def proxy_environment(settings: Settings) -> dict[str, str]:
    """Return the variables that put HAProxy with direct ingress in front of the replicas.

    Serve's default proxy relays every WebSocket message through one Python process;
    HAProxy lets replicas serve their own traffic. Without a haproxy binary the default
    proxy is used.
    """
    configured = settings.haproxy_binary
    if configured is not None and configured.lower() == "off":
        logger.info("HAProxy turned off by PMR_HAPROXY_BINARY; Serve's default proxy is used")
        return {}
    if configured:
        if not os.access(configured, os.X_OK):
            raise ServerStartError(
                f"PMR_HAPROXY_BINARY={configured} is not an executable file; point it at "
                "haproxy, or set it to 'off' to use Serve's default proxy"
            )
        binary: str | None = configured
    else:
        binary = shutil.which("haproxy")
    if not binary:
        logger.warning(
            "haproxy not found, so Serve's default proxy carries all traffic; install haproxy "
            "or set PMR_HAPROXY_BINARY for better WebSocket fan-out"
        )
        return {}
    logger.info("Serve traffic goes through HAProxy at %s with direct ingress", binary)
    # Serve sets no server-side timeout unless configured, and HAProxy warns about that on
    # every start. The client side's (an hour by default) bounds a silent replica as long
    # as it bounds a silent client.
    client_timeout = os.environ.get(_HAPROXY_CLIENT_TIMEOUT, _SERVE_HAPROXY_CLIENT_TIMEOUT_S)
    return {
        "RAY_SERVE_ENABLE_HA_PROXY": "1",
        "RAY_SERVE_ENABLE_DIRECT_INGRESS": "1",
        "RAY_SERVE_HAPROXY_BINARY_PATH": binary,
        "RAY_SERVE_HAPROXY_NBTHREAD": str(settings.haproxy_threads),
        _HAPROXY_SERVER_TIMEOUT: os.environ.get(_HAPROXY_SERVER_TIMEOUT, client_timeout),
    }


def serve_environment(settings: Settings) -> dict[str, str]:
    """Return the variables Serve's processes start with: the proxy's and the replicas'.

    By default a replica runs the application on an event loop of its own, in a second
    thread, so every WebSocket message crosses between threads twice. In one-off runs of
    the co-editing fan-out at one observer (outside bench/), the main loop lowered the
    median propagation from 3.3-3.6 ms to 2.1-2.4 ms. Serve's health checks now share the
    loop with the application, whose routes send their storage calls to threads.
    """
    return {**proxy_environment(settings), "RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD": "0"}


def start(settings: Settings) -> str:
    """Migrate the database, start Serve and deploy the API; return its base URL."""
    Database(settings.sqlalchemy_url).migrate()
    environment = serve_environment(settings)
    # Serve reads these in the driver as well as in the workers.
    os.environ.update(environment)
    connect(settings, env_vars=environment)
    _check_port_free(settings.host, settings.port, "choose another with --port or PMR_PORT")
    if environment.get("RAY_SERVE_ENABLE_HA_PROXY") == "1":
        check_haproxy_ports()
    serve.start(http_options={"host": settings.host, "port": settings.port})
    deployment = PmrIngress.options(  # type: ignore[attr-defined]
        num_replicas=settings.serve_replicas,
        max_ongoing_requests=settings.serve_max_ongoing_requests,
        ray_actor_options={"num_cpus": settings.serve_replica_cpus},
    )
    serve.run(deployment.bind(settings), name=APPLICATION, route_prefix="/")
    fill_pool(settings)
    prepare_simulation_kernels()
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{host}:{settings.port}"


class ServerStartError(RuntimeError):
    """The server cannot start with these settings; the message says which one to change."""


def _check_port_free(host: str, port: int, remedy: str) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ServerStartError(
                f"cannot listen on {host or '*'}:{port} ({error.strerror}); stop what uses "
                f"the port or {remedy}"
            ) from error


def check_haproxy_ports() -> None:
    """Check the ports Serve's HAProxy binds on all interfaces besides the API's.

    A taken one makes HAProxy exit at start, which Serve reports only as a crash of its
    HAProxy manager, after a wait.
    """
    for variable, default, purpose in (
        (_HAPROXY_STATS_PORT, serve_constants.RAY_SERVE_HAPROXY_STATS_PORT, "statistics page"),
        (_HAPROXY_METRICS_PORT, serve_constants.RAY_SERVE_HAPROXY_METRICS_PORT, "metrics"),
    ):
        value = os.environ.get(variable, str(default))
        try:
            port = int(value)
        except ValueError as error:
            raise ServerStartError(f"{variable}={value!r} is not a port number") from error
        _check_port_free("", port, f"give HAProxy's {purpose} another port with {variable}")


def stop() -> None:
    """Shut Serve down and wait until its controller is gone, so Serve can start again.

    With HAProxy the controller's graceful shutdown can outlast Serve's own 30 s wait; a
    start during that time would find the dying controller and fail.
    """
    node_id = ray.get_runtime_context().get_node_id() if ray.is_initialized() else None
    serve.shutdown()  # type: ignore[no-untyped-call]
    _wait_for_controller_exit()
    if node_id is not None:
        remove_haproxy_files(node_id)


def _wait_for_controller_exit() -> None:
    deadline = time.monotonic() + _CONTROLLER_EXIT_SECONDS
    while time.monotonic() < deadline:
        try:
            controller = ray.get_actor(_CONTROLLER_NAME, namespace=_SERVE_NAMESPACE)
        except ValueError:
            return
        time.sleep(0.2)
    logger.warning("Serve's controller outlived its shutdown; killing it")
    ray.kill(controller, no_restart=True)


def haproxy_folders(node_id: str) -> set[Path]:
    """Return the folders where Serve keeps one node's HAProxy configuration and sockets.

    Serve makes a folder per node id under each of its HAProxy paths, and a local Ray
    instance has a new node id on every start, so without clean-up they pile up in /tmp.
    """
    paths = (
        serve_constants.RAY_SERVE_HAPROXY_CONFIG_FILE_LOC,
        serve_constants.RAY_SERVE_HAPROXY_SOCKET_PATH,
        serve_constants.RAY_SERVE_HAPROXY_SERVER_STATE_FILE,
        serve_constants.RAY_SERVE_HAPROXY_METRICS_SOCKET_PATH,
    )
    return {Path(path).parent / node_id for path in paths}


def remove_haproxy_files(node_id: str) -> None:
    """Remove a stopped node's HAProxy folders, and their parents once they are empty."""
    for folder in haproxy_folders(node_id):
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            folder.parent.rmdir()
