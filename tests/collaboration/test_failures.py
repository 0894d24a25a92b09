"""Failures that shipped in other Yjs servers, reproduced against this one with real clients.

Ghost cursors (a client vanishing without a close frame) are covered in test_presence.py.
"""

from __future__ import annotations

import re
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import ray
from sqlalchemy import delete

from actors import report_actor_handle
from actors.registry import stop_report_actor
from crdt import MAX_BODY_CHARS
from crdt.protocol import sync_update, write_var_string, write_var_uint
from deployments import server
from storage import Database, ReportRepository
from storage.models.report import ReportUpdateRow

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server

# Two large inserts that together keep a section under MAX_BODY_CHARS.
FIRST_INSERT_CHARS = 400_000
SECOND_INSERT_CHARS = 500_000
SWARM_SIZE = 200


@pytest.fixture
def repository(served: Server) -> Iterator[ReportRepository]:
    database = Database(served.settings.sqlalchemy_url)
    yield ReportRepository(database)
    database.dispose()


def online(served: Server, report_id: str) -> dict[str, int]:
    """Return the connection count per user, as the report's actor holds it."""
    actor = report_actor_handle(uuid.UUID(report_id), served.settings)
    view = ray.get(actor.session_view.remote(), timeout=30)
    return {entry["user_id"]: entry["connections"] for entry in view["online"]}


def test_restart_does_not_duplicate_text(clients: Server) -> None:
    report = clients.new_report()
    section_id = report["sections"][0]["section_id"]
    ann = clients.yjs(report["id"], "ann@example.com")
    ann.wait_synced()
    ann.insert(section_id, 0, "Written before the restart. ", label="before")
    ann.wait_echo("before")
    before = ann.bodies()
    mark = len(ann.events)

    server.stop()
    stop_report_actor(uuid.UUID(report["id"]), clients.settings)
    server.start(clients.settings)
    ann.wait_event(lambda event: event["event"] == "synced", timeout=90, after=mark)
    fresh = clients.yjs(report["id"], "bob@example.com")
    fresh.wait_synced()
    rest = clients.pm.get(f"/api/reports/pmr/{report['id']}").json()

    assert before[section_id].count("Written before the restart.") == 1
    assert ann.bodies() == before
    assert fresh.bodies() == before
    assert [section["content"]["body"] for section in rest["sections"]] == list(
        before[section["section_id"]] for section in rest["sections"]
    )


def test_oversized_update_closes_only_its_socket(clients: Server) -> None:
    report = clients.new_report()
    section_id = report["sections"][0]["section_id"]
    limit = clients.settings.max_frame_bytes
    ann = clients.yjs(report["id"], "ann@example.com", terminal_codes=(1009,))
    bob = clients.yjs(report["id"], "bob@example.com")
    ann.wait_synced()
    bob.wait_synced()
    base = len(bob.text(section_id))
    grown = base + FIRST_INSERT_CHARS + SECOND_INSERT_CHARS
    assert grown <= MAX_BODY_CHARS

    ann.insert(section_id, -1, "a", repeat=FIRST_INSERT_CHARS, label="one")
    ann.wait_echo("one", timeout=60)
    ann.insert(section_id, -1, "b", repeat=SECOND_INSERT_CHARS, label="two")
    ann.wait_echo("two", timeout=60)
    bob.wait_until(lambda: bob.request("length", section=section_id) == grown, 60)
    ann.insert(section_id, -1, "c", repeat=limit + 1, label="too-big")
    closed = ann.wait_event(lambda event: event["event"] == "closed", timeout=60)
    bob.insert(section_id, 0, "still editing ", label="after")
    bob.wait_echo("after")
    carol = clients.yjs(report["id"], "carol@example.com")
    carol.wait_synced(timeout=60)
    carol_text = carol.text(section_id)
    rest = clients.pm.get(f"/api/reports/pmr/{report['id']}").json()

    assert closed["code"] == 1009
    assert "exceeds the limit" in closed["reason"]
    assert len(carol_text) == grown + len("still editing ")
    assert carol_text.startswith("still editing ")
    assert "c" * 10 not in carol_text
    assert rest["sections"][0]["content"]["body"] == carol_text


def test_failed_load_refuses_and_keeps_stored_content(
    clients: Server, repository: ReportRepository
) -> None:
    report = clients.new_report()
    report_id = uuid.UUID(report["id"])
    stop_report_actor(report_id, clients.settings)
    stored = repository.load(report_id)
    corrupt_seq = repository.append_updates(report_id, [b"\x01\x02 not a Yjs update"])

    refused = clients.yjs(report["id"], "ann@example.com")
    refusal = refused.wait_event(lambda event: event["event"] == "refused")
    refused.close()
    during = repository.load(report_id)
    with Database(clients.settings.sqlalchemy_url).session() as session:
        session.execute(delete(ReportUpdateRow).where(ReportUpdateRow.seq == corrupt_seq))
    again = clients.yjs(report["id"], "ann@example.com")
    again.wait_synced(timeout=60)

    assert refusal["status"] == 503
    assert during.snapshot == stored.snapshot
    assert during.updates == [*stored.updates, (corrupt_seq, b"\x01\x02 not a Yjs update")]
    assert again.bodies() == {
        section["section_id"]: section["content"]["body"] for section in report["sections"]
    }


def ray_log_sizes() -> dict[Path, int]:
    """Return the size of every log file of this Ray session."""
    # Ray has no public call for the session's log folder; the driver's node object has it.
    node: Any = ray._private.worker._global_node
    logs = Path(node.get_logs_dir_path())
    return {path: path.stat().st_size for path in logs.rglob("*") if path.is_file()}


def _serve_disconnect_failure(lines: list[str], index: int) -> bool:
    """Whether the record at ``index`` is Serve reporting a send to a client already gone."""
    if "Request failed." not in lines[index]:
        return False
    following = lines[index + 1 : index + 30]
    for line in following:
        if line.startswith(("ERROR", "WARNING", "INFO")):
            return False
        if "ClientDisconnected" in line:
            return True
    return False


# A record of the report actor's text log format below WARNING.
_ROUTINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,.]+ (INFO|DEBUG) ")


def problems_logged(sizes: dict[Path, int], actor_pid: int) -> tuple[list[str], list[str]]:
    """Return the problems logged since ``sizes`` was taken: by this server, by Serve itself.

    Replica logs count from WARNING up, except Serve's own record of a send to a client that
    had already gone, which belongs with the proxy's. The report actor logs to its worker's
    stderr; every line there counts except its INFO and DEBUG records.
    """
    ours: list[str] = []
    serve: list[str] = []
    for path in ray_log_sizes():
        with path.open("rb") as handle:
            handle.seek(sizes.get(path, 0))
            lines = handle.read().decode("utf-8", "replace").splitlines()
        if path.name.startswith("proxy_"):
            serve += [line for line in lines if line.startswith("ERROR")]
        elif path.name.startswith("replica_"):
            for index, line in enumerate(lines):
                if not line.startswith(("ERROR", "WARNING")):
                    continue
                if _serve_disconnect_failure(lines, index):
                    serve.append(line)
                else:
                    ours.append(line)
        elif path.name.startswith("worker-") and path.name.endswith(f"-{actor_pid}.err"):
            ours += [line for line in lines if line.strip() and not _ROUTINE.match(line)]
    return ours, serve


def test_aborted_clients_leave_no_connections_or_errors(clients: Server) -> None:
    report = clients.new_report()
    section_id = report["sections"][0]["section_id"]
    ann = clients.yjs(report["id"], "ann@example.com")
    bob = clients.yjs(report["id"], "bob@example.com")
    ann.wait_synced()
    bob.wait_synced()
    swarm = clients.swarm(report["id"], "swarm@example.com", SWARM_SIZE)
    swarm.wait_event(lambda event: event["event"] == "ready", timeout=120)
    connected = online(clients, report["id"])["swarm@example.com"]
    actor = report_actor_handle(uuid.UUID(report["id"]), clients.settings)
    actor_pid = ray.get(actor.process_id.remote(), timeout=30)
    sizes = ray_log_sizes()

    swarm.process.send_signal(signal.SIGKILL)
    typed = ann.request(
        "type", section=section_id, tokens=[f"<{n}>" for n in range(50)], intervalMs=20
    )
    bob.wait_until(lambda: bob.text(section_id).endswith("<49>"), timeout=60)
    bob.wait_until(lambda: "swarm@example.com" not in online(clients, report["id"]), timeout=60)
    remaining = online(clients, report["id"])
    ours, serve = problems_logged(sizes, actor_pid)

    assert connected == SWARM_SIZE
    assert typed == 50
    assert remaining == {"ann@example.com": 1, "bob@example.com": 1}
    assert ours == []
    # NOTE: Ray Serve 2.60 logs one traceback per aborted WebSocket: a GeneratorExit from its
    # default proxy, or with HAProxy ingress a ClientDisconnected from the replica when a
    # frame already on its way meets the closed socket. That is per connection, never per
    # broadcast.
    assert len(serve) <= SWARM_SIZE


MALFORMED_FRAMES = {
    "truncated-varint": bytes([0, 2, 0xFF]),
    "length-beyond-frame": bytes([0, 2, 40, 1, 2, 3]),
    "garbage-update": sync_update(b"\x01\x02 not a Yjs update"),
    "unknown-message-type": bytes([7, 0]),
    "awareness-not-json": bytes([1]) + write_var_string("\x01\x05\x01\x03{{{"),
    "trailing-bytes": sync_update(b"\x00\x00") + b"\x00",
}


@pytest.fixture(scope="module")
def two_reports(served: Server) -> tuple[dict[str, Any], dict[str, Any]]:
    return served.new_report(), served.new_report()


@pytest.mark.parametrize("frame", MALFORMED_FRAMES.values(), ids=MALFORMED_FRAMES.keys())
def test_malformed_frame_closes_only_its_socket(
    clients: Server, two_reports: tuple[dict[str, Any], dict[str, Any]], frame: bytes
) -> None:
    broken, other = two_reports
    section_id = other["sections"][0]["section_id"]
    mallory = clients.yjs(broken["id"], "mallory@example.com")
    ann = clients.yjs(other["id"], "ann@example.com")
    bob = clients.yjs(other["id"], "bob@example.com")
    neighbour = clients.yjs(broken["id"], "nina@example.com")
    for client in (mallory, ann, bob, neighbour):
        client.wait_synced()

    mallory.request("raw", hex=frame.hex())
    closed = mallory.wait_event(lambda event: event["event"] == "closed")
    ann.insert(section_id, 0, f"after {frame.hex()} ")
    neighbour.insert(broken["sections"][0]["section_id"], 0, "same report goes on ")
    bob.wait_text(section_id, lambda text: text.startswith(f"after {frame.hex()} "))
    neighbour_echo = neighbour.wait_event(lambda event: event["event"] == "echoed")

    assert closed["code"] == 4400
    assert neighbour_echo["label"].startswith("insert-")


def poisoned_update(client_id: int, clock: int, parent_clock: int) -> bytes:
    """Return an update adding text under the client's own text item as if it were a type.

    A fresh document keeps the item pending, so the update looks valid on its own; applied
    to a document holding the parent item, pycrdt 0.14 raises "block parent ... must be
    deleted or shared ref type".
    """
    struct = write_var_uint(client_id) + write_var_uint(clock)
    struct += bytes([4]) + write_var_uint(0) + write_var_uint(client_id)
    struct += write_var_uint(parent_clock) + write_var_string("Z")
    return write_var_uint(1) + write_var_uint(1) + struct + write_var_uint(0)


def test_update_failing_on_live_document_leaves_report_loadable(clients: Server) -> None:
    report = clients.new_report()
    section_id = report["sections"][0]["section_id"]
    mallory = clients.yjs(report["id"], "mallory@example.com")
    mallory.wait_synced()
    mallory.insert(section_id, 0, "abc", label="own-text")
    mallory.wait_echo("own-text")
    client_id = mallory.request("info")["clientId"]

    mallory.request("raw", hex=sync_update(poisoned_update(client_id, 3, 1)).hex())
    closed = mallory.wait_event(lambda event: event["event"] == "close")
    stop_report_actor(uuid.UUID(report["id"]), clients.settings)
    later = clients.yjs(report["id"], "ann@example.com")
    later.wait_synced(timeout=30)

    assert closed["code"] == 4400
    assert later.text(section_id).startswith("abc")
