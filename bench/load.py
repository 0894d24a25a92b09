"""Drive WebSocket editors and REST readers at one server at once; record latency and memory.

    PYTHONPATH=.:bench python -P bench/load.py --seconds 300 --clients 200 --reports 20 \
        --output load.json

Run it from the repository root with the project's virtual environment, after `make test`
(or `npm ci` in tests/interop) installed the Node packages. It starts the server on Ray
Serve (behind HAProxy where haproxy is installed) on a temporary SQLite database unless
PMR_DATABASE_URL names another, and with Redis only when PMR_REDIS_URL is set. It generates
``--reports`` reports of the bundled sample project without Monte Carlo and starts a
collaboration session on each, with the clients' user as editor.

The WebSocket clients are unmodified y-websocket providers in one Node process
(tests/interop/load-clients.mjs), spread evenly over the reports. Each one sets its own key
in the report's ``metrics`` map every ``--edit-interval`` seconds. The script uses Node
clients rather than Python clients of the JSON format because they speak the Yjs sync
protocol that browsers use. Because every client runs in that one process, one clock times
each edit from its send to its arrival at every other client of the report, so the
process's own event loop is part of the measured latency.

At the same time, ``--rest-readers`` loops in this process read over REST as fast as the
server responds: a report, its collaboration session, and the project list, in turn. Every
``--sample-seconds`` the script records the resident memory (RSS) of each API replica and
each report actor.

The script prints one JSON document: edit propagation p50/p95/p99, REST latency
p50/p95/p99 per request kind, every error seen (socket closes, failed syncs, missing
deliveries, non-200 responses), and the memory samples. It exits with status 1 when any
error occurred.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import ray
from common import machine

from actors import report_actor_handle
from config import Settings
from deployments import server
from deployments.auth import Role, token_service
from schedules import sample_project_bytes

INTEROP = Path(__file__).resolve().parents[1] / "tests" / "interop"
HARNESS = INTEROP / "load-clients.mjs"
GENERATION_DEADLINE_SECONDS = 600.0
# Time the Node clients get to connect and sync before the measured run starts.
SYNC_TIMEOUT_SECONDS = 180.0
# The start of the process title Ray gives a worker running a replica of the API.
REPLICA_TITLE = f"ServeReplica:{server.APPLICATION}:".encode()
# Longest wait for edits still queued when the run ends (the Node clients' drainMaxMs).
DRAIN_SECONDS = 120.0
# The user every WebSocket client connects as.
EDITOR = "editor@example.com"
# Errors kept in the output; the count covers all of them.
LISTED_ERRORS = 50


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def percentiles(samples: list[float]) -> dict[str, float | int | None]:
    """Return p50, p95, p99 and max of ``samples`` in milliseconds, and their count."""
    ordered = sorted(samples)

    def at(share: float) -> float | None:
        if not ordered:
            return None
        index = min(len(ordered) - 1, max(0, int(share * len(ordered) + 0.999999) - 1))
        return round(ordered[index] * 1000, 1)

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
        "count": len(ordered),
    }


def resident_mib(pid: int) -> float | None:
    """Return the resident memory of process ``pid`` in MiB, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(match[1]) / 1024, 1) if match else None


def replica_pids() -> list[int]:
    """Return the pids of this Ray session's API replicas, children of its raylet."""
    # Ray has no public call for the raylet's pid; the driver's node object has it.
    node: Any = ray._private.worker._global_node
    raylet = node.all_processes["raylet"][0].process.pid
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            parent = re.search(r"^PPid:\s+(\d+)", status.read_text(), re.MULTILINE)
            title = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if parent is not None and int(parent[1]) == raylet and REPLICA_TITLE in title:
            pids.append(int(status.parent.name))
    return sorted(pids)


@dataclass
class Measurements:
    """Latencies, errors and memory samples from the REST readers and the memory sampler."""

    rest: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    memory: list[dict[str, Any]] = field(default_factory=list)

    def error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < LISTED_ERRORS:
            self.errors.append(message)


class LoadServer:
    """This server with a project and the reports the clients edit."""

    def __init__(self, data_dir: Path, replicas: int) -> None:
        self.settings = Settings(
            data_dir=data_dir,
            port=free_port(),
            jwt_secret="bench-" + "x" * 40,
            ray_num_cpus=2,
            serve_replicas=replicas,
            serve_replica_cpus=0.5 / replicas,
        )
        self.http_url = server.start(self.settings)
        self.ws_url = self.http_url.replace("http://", "ws://") + "/ws/reports/pmr"
        self._tokens = token_service(self.settings)
        self.client = httpx.Client(
            base_url=self.http_url, headers=self.auth("bench@example.com"), timeout=120
        )
        imported = self.client.post(
            "/api/projects/import", files={"file": ("sample.json", sample_project_bytes())}
        )
        imported.raise_for_status()
        self.project: dict[str, Any] = imported.json()

    def token(self, email: str) -> str:
        return self._tokens.issue(email, Role.PROJECT_MANAGER)

    def auth(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(email)}"}

    def generate(self, count: int) -> list[str]:
        """Generate ``count`` reports at once and return their ids when all completed."""
        month = self.project["data_date"][:7]
        started = [
            self.client.post(
                "/api/reports/pmr/generate",
                json={
                    "project_id": self.project["project_id"],
                    "report_month": month,
                    "include_monte_carlo": False,
                },
            ).json()
            for _ in range(count)
        ]
        deadline = time.monotonic() + GENERATION_DEADLINE_SECONDS
        for job in started:
            while True:
                state = self.client.get(f"/api/jobs/{job['generation_job_id']}").json()
                if state["status"] == "completed":
                    break
                if state["status"] in ("failed", "cancelled"):
                    raise RuntimeError(f"generation {state['status']}: {state.get('error')}")
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{count} reports did not generate in {GENERATION_DEADLINE_SECONDS:.0f} s"
                    )
                time.sleep(0.5)
        return [job["id"] for job in started]

    def start_session(self, report_id: str, editor: str, viewers: list[str]) -> None:
        """Start the report's collaboration session: ``editor`` edits and ``viewers`` view."""
        response = self.client.post(
            f"/api/reports/pmr/{report_id}/collaborate",
            json={"participants": [editor, *viewers], "permissions": {editor: "edit"}},
        )
        response.raise_for_status()

    def actor_pids(self, report_ids: list[str]) -> dict[str, int]:
        pids = {}
        for report_id in report_ids:
            actor = report_actor_handle(uuid.UUID(report_id), self.settings)
            pids[report_id] = ray.get(actor.process_id.remote(), timeout=60)
        return pids

    def stop(self) -> None:
        self.client.close()
        server.stop()


@contextmanager
def node_clients(config: dict[str, Any]) -> Iterator[NodeHarness]:
    harness = NodeHarness(config)
    try:
        yield harness
    finally:
        harness.close()


class NodeHarness:
    """The Node process with the WebSocket clients, its JSON lines collected by a thread."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            ["node", str(HARNESS), json.dumps(config)],
            cwd=INTEROP,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(json.loads(line))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait(self, event: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if line.get("event") == event:
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (
                    self.process.poll() is not None and not self._reader.is_alive()
                ):
                    raise RuntimeError(
                        f"the Node clients sent no {event!r} line: {self.lines[-3:]}"
                    )
                self._changed.wait(min(remaining, 1.0))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def reader_email(number: int) -> str:
    return f"reader{number}@example.com"


async def read_rest(
    load: LoadServer, reader: int, report_ids: list[str], stop: float, out: Measurements
) -> None:
    """Cycle through the three reads until ``stop`` (a monotonic time)."""
    paths = {
        "report": "/api/reports/pmr/{report_id}",
        "session": "/api/reports/pmr/{report_id}/collaborate",
        "projects": "/api/projects",
    }
    headers = load.auth(reader_email(reader))
    async with httpx.AsyncClient(base_url=load.http_url, headers=headers, timeout=60) as client:
        while time.monotonic() < stop:
            report_id = random.choice(report_ids)
            for kind, template in paths.items():
                path = template.format(report_id=report_id)
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                except httpx.HTTPError as error:
                    out.error(f"GET {path} failed: {type(error).__name__}: {error}")
                    continue
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    out.error(f"GET {path} returned {response.status_code}: {response.text[:200]}")
                    continue
                out.rest.setdefault(kind, []).append(elapsed)


async def sample_memory(
    actor_pids: dict[str, int], every: float, stop: float, out: Measurements
) -> None:
    started = time.monotonic()
    while time.monotonic() < stop:
        replicas = {pid: resident_mib(pid) for pid in replica_pids()}
        actors = [resident_mib(pid) for pid in actor_pids.values()]
        alive = [value for value in actors if value is not None]
        out.memory.append(
            {
                "seconds": round(time.monotonic() - started, 1),
                "replica_rss_mib": {str(pid): value for pid, value in replicas.items()},
                "actor_rss_mib_total": round(sum(alive), 1),
                "actor_rss_mib_max": max(alive, default=None),
                "actors_alive": len(alive),
            }
        )
        if len(alive) < len(actors):
            out.error(f"{len(actors) - len(alive)} report actor processes exited during the run")
        await asyncio.sleep(every)


async def drive_rest(
    load: LoadServer,
    arguments: argparse.Namespace,
    report_ids: list[str],
    actor_pids: dict[str, int],
) -> Measurements:
    out = Measurements()
    stop = time.monotonic() + arguments.seconds
    readers = [
        read_rest(load, number, report_ids, stop, out) for number in range(arguments.rest_readers)
    ]
    await asyncio.gather(*readers, sample_memory(actor_pids, arguments.sample_seconds, stop, out))
    return out


def memory_summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    if not samples:
        return {}
    first, last = samples[0], samples[-1]
    replica_peak = max(
        (value for sample in samples for value in sample["replica_rss_mib"].values() if value),
        default=None,
    )
    return {
        "replica_rss_mib_first": first["replica_rss_mib"],
        "replica_rss_mib_last": last["replica_rss_mib"],
        "replica_rss_mib_peak": replica_peak,
        "actor_rss_mib_total_first": first["actor_rss_mib_total"],
        "actor_rss_mib_total_last": last["actor_rss_mib_total"],
        "actor_rss_mib_max_peak": max(
            (sample["actor_rss_mib_max"] or 0 for sample in samples), default=None
        ),
    }


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=float, default=300, help="Length of the measured run in seconds (300)."
    )
    parser.add_argument("--clients", type=int, default=200, help="WebSocket clients (200).")
    parser.add_argument("--reports", type=int, default=20, help="Reports they edit (20).")
    parser.add_argument(
        "--edit-interval", type=float, default=2.0, help="Seconds between one client's edits (2)."
    )
    parser.add_argument(
        "--rest-readers", type=int, default=4, help="Concurrent REST read loops (4)."
    )
    parser.add_argument(
        "--sample-seconds", type=float, default=5.0, help="Seconds between memory samples (5)."
    )
    parser.add_argument(
        "--replicas", type=int, default=1, help="API replicas; they share 0.5 CPU in Ray (1)."
    )
    parser.add_argument("--output", type=Path, help="Also write the JSON result to this file.")
    return parser.parse_args()


def run(arguments: argparse.Namespace, load: LoadServer) -> dict[str, Any]:
    report_ids = load.generate(arguments.reports)
    for report_id in report_ids:
        # The REST readers also read the session, which only its participants may read.
        readers = [reader_email(number) for number in range(arguments.rest_readers)]
        load.start_session(report_id, EDITOR, readers)
    config = {
        "url": load.ws_url,
        "token": load.token(EDITOR),
        "rooms": [f"{report_id}/collaborate" for report_id in report_ids],
        "clients": arguments.clients,
        "seconds": arguments.seconds,
        "editIntervalMs": arguments.edit_interval * 1000,
        "syncTimeoutMs": SYNC_TIMEOUT_SECONDS * 1000,
        "drainMaxMs": DRAIN_SECONDS * 1000,
    }
    with node_clients(config) as harness:
        ready = harness.wait("ready", SYNC_TIMEOUT_SECONDS + 60)
        actor_pids = load.actor_pids(report_ids)
        measured = asyncio.run(drive_rest(load, arguments, report_ids, actor_pids))
        final = harness.wait("final", DRAIN_SECONDS + 60)
    websocket_errors = final.get("errors", [])
    missing = final.get("missing", 0) or 0
    error_count = measured.error_count + len(websocket_errors) + (1 if missing else 0)
    if ready["synced"] != arguments.clients:
        error_count += 1
    all_rest = [value for values in measured.rest.values() for value in values]
    return {
        "machine": machine(),
        "haproxy": bool(server.proxy_environment(Settings())),
        "parameters": {
            "seconds": arguments.seconds,
            "clients": arguments.clients,
            "reports": arguments.reports,
            "edit_interval_seconds": arguments.edit_interval,
            "rest_readers": arguments.rest_readers,
            "replicas": arguments.replicas,
            "database": "sqlite" if load.settings.database_url is None else "configured",
            "redis": load.settings.redis_url is not None,
        },
        "errors": error_count,
        "websocket": {key: value for key, value in final.items() if key != "event"},
        "websocket_synced": ready["synced"],
        "rest": {kind: percentiles(values) for kind, values in measured.rest.items()}
        | {"all": percentiles(all_rest)},
        "rest_errors": measured.errors,
        "rest_error_count": measured.error_count,
        "memory": memory_summary(measured.memory),
        "memory_samples": measured.memory,
    }


def main() -> None:
    arguments = parse_arguments()
    with tempfile.TemporaryDirectory() as folder:
        load = LoadServer(Path(folder), arguments.replicas)
        try:
            result = run(arguments, load)
        finally:
            load.stop()
    text = json.dumps(result, indent=2)
    print(text)
    if arguments.output is not None:
        arguments.output.write_text(text + "\n")
    raise SystemExit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
