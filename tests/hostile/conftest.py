"""One real server and one generated report shared by the hostile-input tests.

The server is the one the collaboration tests start (Serve on a free port, Node Yjs clients
in tests/interop), with rate limits switched off, because the fuzzers open hundreds of
sockets and requests on purpose and a 429 would hide the behaviour under test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config import Settings
from storage import Database
from tests.collaboration.conftest import Server, running_server

_NO_RATE_LIMITS = {
    "rate_limit_user_requests": 0,
    "rate_limit_ip_requests": 0,
    "rate_limit_user_websockets": 0,
    "rate_limit_ip_websockets": 0,
}


@pytest.fixture(scope="package")
def hostile_server(
    session_settings: Settings, ray_cluster: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server for every hostile-input test, with rate limits off and a database of its own.

    The OpenAPI fuzzer creates records at random; its own SQLite file keeps them away from
    the session database that other test packages count rows in.
    """
    data_dir = tmp_path_factory.mktemp("hostile-data")
    database_url = f"sqlite:///{data_dir / 'pmr.sqlite3'}"
    database = Database(database_url)
    database.migrate()
    database.dispose()
    log_dir = tmp_path_factory.mktemp("hostile-node-logs")
    overrides = {"data_dir": data_dir, "database_url": database_url, **_NO_RATE_LIMITS}
    with running_server(session_settings, log_dir, **overrides) as running:
        yield running


@pytest.fixture
def hostile(hostile_server: Server) -> Iterator[Server]:
    """The shared server; the clients a test starts are stopped when it ends."""
    yield hostile_server
    hostile_server.close_clients()


@pytest.fixture(scope="package")
def hostile_report(hostile_server: Server) -> dict[str, Any]:
    """A completed report of the bundled sample project, as REST shows it."""
    return hostile_server.new_report()


def _parent_pid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        # The command name in brackets may contain spaces; the fields after it do not.
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def descendant_pids(root: int) -> list[int]:
    """Return the pids of every live process below ``root`` (Ray's workers sit under it)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            children.setdefault(_parent_pid(int(entry)), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue  # the process ended while the table was read
    found: list[int] = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def process_title(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def rss_bytes(pid: int) -> int:
    """Return the resident set size of process ``pid`` from /proc, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"/proc/{pid}/status has no VmRSS line")


def serve_replica_pids() -> list[int]:
    """Return the pids of the Serve replicas this test session's Ray cluster runs."""
    pids = []
    for pid in descendant_pids(os.getpid()):
        try:
            title = process_title(pid)
        except OSError:
            continue
        if title.startswith("ray::ServeReplica"):
            pids.append(pid)
    return pids
