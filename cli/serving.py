"""``pmr serve``: run the API until interrupted."""

from __future__ import annotations

import signal
import threading

import click

from config import Settings
from deployments import server


def run_server(settings: Settings) -> None:
    url = start_server(settings)
    click.echo(f"Enhanced PMR is serving at {url} (API docs at {url}/docs); Ctrl-C stops it.")
    wait_for_interrupt()
    server.stop()


def start_server(settings: Settings) -> str:
    """Start Serve with the API deployed and return its base URL."""
    try:
        return server.start(settings)
    except server.ServerStartError as error:
        raise click.ClickException(str(error)) from error


def wait_for_interrupt() -> None:
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    click.echo(stopping_message())


def stopping_message() -> str:
    # Serve keeps each replica reachable for its draining period before it exits, and a
    # loaded machine can make its controller outlast that until stop() kills it.
    return (
        "Stopping the server; this usually takes under a minute. After "
        f"{server.MAX_STOP_SECONDS:.0f} s the server kills Serve's controller."
    )
