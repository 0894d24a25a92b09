"""Presence and cursors: awareness removal without a goodbye, cursors that follow edits."""

from __future__ import annotations

import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest
from websockets.sync.client import connect

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server, YjsClient

# The product promises that a vanished client disappears from everyone's view this fast.
REMOVAL_BOUND_SECONDS = 2.0


@pytest.fixture(scope="module")
def report(served: Server) -> dict[str, Any]:
    return served.new_report()


def cursor_of(client: YjsClient, user: str) -> dict[str, Any] | None:
    """Return the awareness cursor ``client`` sees for ``user``, if any."""
    for peer in client.request("peers"):
        state = peer["state"] or {}
        if state.get("user", {}).get("name") == user and "cursor" in state:
            cursor: dict[str, Any] = state["cursor"]
            return cursor
    return None


def test_killed_client_vanishes_from_awareness_within_bound(
    clients: Server, report: dict[str, Any]
) -> None:
    ann = clients.yjs(report["id"], "ann@example.com")
    bob = clients.yjs(report["id"], "bob@example.com")
    ann.wait_synced()
    bob.wait_synced()
    ann_id = ann.request("info")["clientId"]
    bob.wait_until(lambda: ann_id in {peer["clientId"] for peer in bob.request("peers")})
    mark = len(bob.events)

    started = time.monotonic()
    ann.process.send_signal(signal.SIGKILL)
    removal = bob.wait_event(
        lambda event: event["event"] == "awareness" and ann_id in event["removed"],
        timeout=REMOVAL_BOUND_SECONDS * 5,
        after=mark,
    )
    elapsed = time.monotonic() - started
    print(f"awareness removal seen {elapsed * 1000:.0f} ms after SIGKILL")

    assert ann_id in removal["removed"]
    assert elapsed < REMOVAL_BOUND_SECONDS
    assert ann_id not in {peer["clientId"] for peer in bob.request("peers")}


def test_json_cursor_follows_text_inserted_before_it(
    clients: Server, report: dict[str, Any]
) -> None:
    section_id = report["sections"][1]["section_id"]
    ann = clients.yjs(report["id"], "ann@example.com")
    bob = clients.yjs(report["id"], "bob@example.com")
    carol = clients.json_client(report["id"], "carol@example.com")
    ann.wait_synced()
    bob.wait_synced()
    carol.send("user_cursor", request_id="k1", section_id=section_id, position=10)
    first = carol.wait_event(
        lambda event: event["type"] == "user_cursor" and event["user_id"] == "carol@example.com"
    )
    bob.wait_until(lambda: cursor_of(bob, "carol@example.com") is not None)

    ann.insert(section_id, 0, "XYZ")
    moved = carol.wait_event(
        lambda event: event["type"] == "user_cursor" and event["user_id"] == "carol@example.com"
    )
    bob.wait_until(lambda: (cursor_of(bob, "carol@example.com") or {}).get("position") == 13)
    seen_by_bob = cursor_of(bob, "carol@example.com")

    assert first["position"] == 10
    assert moved["section_id"] == section_id
    assert moved["position"] == 13
    assert seen_by_bob == {"section_id": section_id, "position": 13}


def test_json_client_leaving_removes_its_awareness_state(
    clients: Server, report: dict[str, Any]
) -> None:
    section_id = report["sections"][0]["section_id"]
    bob = clients.yjs(report["id"], "bob@example.com")
    carol = clients.json_client(report["id"], "carol@example.com")
    bob.wait_synced()
    carol.send("user_cursor", section_id=section_id, position=1)
    bob.wait_until(lambda: cursor_of(bob, "carol@example.com") is not None)

    carol.connection.close()
    bob.wait_until(lambda: cursor_of(bob, "carol@example.com") is None)
    present = [json.dumps(peer["state"]) for peer in bob.request("peers")]

    assert not any("carol@example.com" in state for state in present)


def test_welcome_is_first_for_simultaneous_json_clients(
    clients: Server, report: dict[str, Any]
) -> None:
    url = f"{clients.ws_url}/{report['id']}/collaborate?format=json"
    emails = [f"joiner{number}@example.com" for number in range(3)]

    def first_event(email: str) -> str:
        with connect(f"{url}&token={clients.token(email)}", open_timeout=30) as websocket:
            kind: str = json.loads(websocket.recv(timeout=30))["type"]
            return kind

    firsts = []
    for _ in range(5):
        with ThreadPoolExecutor(max_workers=len(emails)) as pool:
            firsts += list(pool.map(first_event, emails))

    assert firsts == ["welcome"] * 15
