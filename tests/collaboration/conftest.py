"""Real clients against a real server: Serve on a free port, Yjs clients in Node, JSON clients.

The Node side lives in tests/interop (``make test`` installs it with ``npm ci``). Each Yjs
client is a Node process running an unmodified y-websocket provider; tests drive it with JSON
commands on stdin and wait on the JSON events it prints, under a deadline.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from config import Settings
from deployments import server
from deployments.auth import Role, token_service
from schedules import sample_project_bytes

INTEROP = Path(__file__).resolve().parents[1] / "interop"
NODE = shutil.which("node")
# Generating a report runs its Monte Carlo analysis on a 2-core machine shared with others.
GENERATION_DEADLINE_SECONDS = 180.0
WAIT_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def require_node() -> str:
    """Return the node executable, skipping the test when Node.js or the packages are absent."""
    if NODE is None:
        pytest.skip("node is not installed; install Node.js 20 to run the Yjs interop tests")
    if not (INTEROP / "node_modules" / "y-websocket").is_dir():
        pytest.fail(f"the Node packages are missing: run `npm ci` in {INTEROP} (`make test` does)")
    return NODE


class TimedOut(AssertionError):
    pass


class NodeProcess:
    """A Node script from tests/interop speaking JSON lines, with its output collected."""

    def __init__(self, script: str, config: dict[str, Any], log_dir: Path) -> None:
        self.name = f"{script}-{uuid.uuid4().hex[:6]}"
        self._stderr_path = log_dir / f"{self.name}.stderr"
        self._stderr = self._stderr_path.open("w")
        self.process = subprocess.Popen(
            [require_node(), str(INTEROP / script), json.dumps(config)],
            cwd=INTEROP,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.events: list[dict[str, Any]] = []
        self._replies: dict[int, dict[str, Any]] = {}
        self._next_id = 0
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            message = json.loads(line)
            with self._changed:
                if "id" in message:
                    self._replies[message["id"]] = message
                else:
                    self.events.append(message)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def diagnostics(self) -> str:
        self._stderr.flush()
        tail = self._stderr_path.read_text()[-2000:]
        return f"{self.name}: last events {self.events[-8:]}; stderr: {tail}"

    def request(self, cmd: str, timeout: float = WAIT_SECONDS, **arguments: Any) -> Any:
        """Run one command in the client and return its result."""
        return self.result(self.send(cmd, **arguments), timeout)

    def send(self, cmd: str, **arguments: Any) -> int:
        """Start one command in the client; return the id to pass to ``result``."""
        assert self.process.stdin is not None
        with self._changed:
            self._next_id += 1
            request_id = self._next_id
        self.process.stdin.write(json.dumps({"id": request_id, "cmd": cmd, **arguments}) + "\n")
        self.process.stdin.flush()
        return request_id

    def result(self, request_id: int, timeout: float = WAIT_SECONDS) -> Any:
        """Wait for the answer to command ``request_id`` and return its result."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while request_id not in self._replies:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    raise TimedOut(
                        f"no answer to command {request_id} in {timeout} s; {self.diagnostics()}"
                    )
                self._changed.wait(remaining)
            reply = self._replies.pop(request_id)
        if not reply["ok"]:
            raise AssertionError(f"command {request_id} failed in {self.name}: {reply['error']}")
        return reply["result"]

    def wait_event(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = WAIT_SECONDS,
        after: int = 0,
    ) -> dict[str, Any]:
        """Return the first event from index ``after`` on that matches ``predicate``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event in self.events[after:]:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimedOut(f"no matching event within {timeout} s; {self.diagnostics()}")
                self._changed.wait(remaining)

    def wait_until(self, check: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
        """Re-evaluate ``check`` after each event of this client until it holds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                seen = len(self.events)
            if check():
                return
            with self._changed:
                while len(self.events) == seen:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimedOut(f"condition not met in {timeout} s; {self.diagnostics()}")
                    self._changed.wait(remaining)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self._stderr.close()


class YjsClient(NodeProcess):
    """An unmodified y-websocket provider in a Node process (tests/interop/yclient.mjs)."""

    def wait_synced(self, timeout: float = WAIT_SECONDS) -> None:
        self.wait_event(lambda event: event["event"] == "synced", timeout)

    def text(self, section: str) -> str:
        result: str = self.request("text", section=section)
        return result

    def wait_text(
        self, section: str, wanted: Callable[[str], bool], timeout: float = WAIT_SECONDS
    ) -> str:
        self.wait_until(lambda: wanted(self.text(section)), timeout)
        return self.text(section)

    def insert(
        self, section: str, index: int, text: str, *, repeat: int = 1, label: str | None = None
    ) -> int:
        """Insert ``text`` ``repeat`` times at ``index`` (-1: the end); return the new length."""
        length: int = self.request(
            "insert", section=section, index=index, text=text, repeat=repeat, label=label
        )
        return length

    def wait_echo(self, label: str, timeout: float = WAIT_SECONDS) -> None:
        """Wait until the server sent back the update of the edit named ``label``."""
        self.wait_event(lambda event: event == {"event": "echoed", "label": label}, timeout)

    def bodies(self) -> dict[str, str]:
        result: dict[str, str] = self.request("bodies")
        return result


class JsonClient:
    """A plain WebSocket client speaking the JSON events (``?format=json``)."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.events: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] = {}

    def send(self, kind: str, **fields: Any) -> None:
        self.connection.send(json.dumps({"type": kind, **fields}))

    def wait_event(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = WAIT_SECONDS
    ) -> dict[str, Any]:
        """Return the first received event (kept or new) matching ``predicate``."""
        for event in self.events:
            if predicate(event):
                self.events.remove(event)
                return event
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimedOut(f"no matching JSON event in {timeout} s; got {self.events[-8:]}")
            try:
                received: dict[str, Any] = json.loads(self.connection.recv(timeout=remaining))
            except TimeoutError:
                continue
            if predicate(received):
                return received
            self.events.append(received)


class Server:
    """A running Serve application and the means to reach it as different users."""

    def __init__(self, url: str, settings: Settings, log_dir: Path) -> None:
        self.url = url
        self.settings = settings
        self.ws_url = url.replace("http://", "ws://") + "/ws/reports/pmr"
        self._tokens = token_service(settings)
        self._log_dir = log_dir
        self._clients: list[NodeProcess] = []
        self._sockets = ExitStack()
        self.pm = httpx.Client(base_url=url, headers=self.auth("pm@example.com"), timeout=60)
        self._project: dict[str, Any] | None = None

    def token(self, email: str, role: Role = Role.EDITOR) -> str:
        return self._tokens.issue(email, role)

    def auth(self, email: str, role: Role = Role.PROJECT_MANAGER) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(email, role)}"}

    def yjs(
        self,
        report_id: str,
        email: str,
        role: Role = Role.EDITOR,
        *,
        token: str | None = None,
        name: str | None = None,
        terminal_codes: tuple[int, ...] = (),
    ) -> YjsClient:
        """Start a Yjs client on the report's room; it connects at once."""
        config = {
            "url": self.ws_url,
            "room": f"{report_id}/collaborate",
            "token": token if token is not None else self.token(email, role),
            "name": name or email,
            "terminalCodes": list(terminal_codes),
        }
        client = YjsClient("yclient.mjs", config, self._log_dir)
        self._clients.append(client)
        return client

    def swarm(self, report_id: str, email: str, count: int) -> NodeProcess:
        config = {
            "url": self.ws_url,
            "room": f"{report_id}/collaborate",
            "token": self.token(email),
            "count": count,
        }
        swarm = NodeProcess("swarm.mjs", config, self._log_dir)
        self._clients.append(swarm)
        return swarm

    def json_client(self, report_id: str, email: str, role: Role = Role.EDITOR) -> JsonClient:
        """Connect a JSON client and consume its welcome event into ``welcome``."""
        url = f"{self.ws_url}/{report_id}/collaborate?format=json&token={self.token(email, role)}"
        connection = self._sockets.enter_context(
            connect(url, open_timeout=WAIT_SECONDS, max_size=None)
        )
        client = JsonClient(connection)
        client.welcome = client.wait_event(lambda event: event["type"] == "welcome")
        return client

    def new_report(self) -> dict[str, Any]:
        """Generate a report of the bundled sample project and return it as REST shows it."""
        if self._project is None:
            imported = self.pm.post(
                "/api/projects/import", files={"file": ("sample.json", sample_project_bytes())}
            )
            assert imported.status_code == 201, imported.text
            self._project = imported.json()
        # The report month is the month of the project's data date, as the API requires.
        month = self._project["data_date"][:7]
        started = self.pm.post(
            "/api/reports/pmr/generate",
            json={"project_id": self._project["project_id"], "report_month": month},
        )
        assert started.status_code == 202, started.text
        job_url = f"/api/jobs/{started.json()['generation_job_id']}"
        deadline = time.monotonic() + GENERATION_DEADLINE_SECONDS
        job = self.pm.get(job_url).json()
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            # NOTE: the jobs API has no wait; this polls it at a fixed pace under a deadline.
            time.sleep(0.2)
            job = self.pm.get(job_url).json()
        assert job["status"] == "completed", job
        report: dict[str, Any] = self.pm.get(f"/api/reports/pmr/{started.json()['id']}").json()
        return report

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._sockets.close()

    def close(self) -> None:
        self.close_clients()
        self.pm.close()


@contextmanager
def running_server(settings: Settings, log_dir: Path, **overrides: Any) -> Iterator[Server]:
    """Start Serve on a free port with ``overrides`` applied to the settings; stop it after."""
    require_node()
    configured = settings.model_copy(update={"port": free_port(), **overrides})
    served = Server(server.start(configured), configured, log_dir)
    try:
        yield served
    finally:
        served.close()
        server.stop()


@pytest.fixture(scope="module")
def served(
    session_settings: Settings, ray_cluster: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server with the session's settings, for the tests of one module."""
    with running_server(session_settings, tmp_path_factory.mktemp("node-logs")) as running:
        yield running


@pytest.fixture
def clients(served: Server) -> Iterator[Server]:
    """The module's server; the clients a test starts are stopped when it ends."""
    yield served
    served.close_clients()
