"""The report actor's process killed while Yjs clients type and REST calls edit the report.

Yjs edits are acknowledged by their echo; a REST edit by its 200 response. Every
acknowledged edit must be stored exactly once after the actor's restart, the Yjs clients
reconnect and resync by themselves, and REST calls that meet the restart get a 503 problem.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import ray

from actors import report_actor_handle
from tests.faults.conftest import problem_of

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server

TOKENS = [f"[{number:03d}]" for number in range(120)]
RECOVERY_SECONDS = 60.0


class RestEditor(threading.Thread):
    """Replace a section's body over REST again and again, each time with one word more.

    A word joins ``acknowledged`` only when its request returned 200, and every later body
    repeats the acknowledged words, so the stored body must end as exactly those words.
    """

    def __init__(self, server: Server, report_id: str, section_id: str) -> None:
        super().__init__(daemon=True)
        self._client = httpx.Client(
            base_url=server.url, headers=server.auth("rest@example.com"), timeout=60
        )
        self._path = f"/api/reports/pmr/{report_id}/sections/{section_id}"
        self.acknowledged: list[str] = []
        self.errors: list[httpx.Response] = []
        self.stop = threading.Event()

    def put(self, word: str) -> httpx.Response:
        body = " ".join([*self.acknowledged, word])
        response = self._client.put(self._path, json={"content": {"body": body}})
        if response.status_code == 200:
            self.acknowledged.append(word)
        else:
            self.errors.append(response)
        return response

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            self.put(f"rest{number}")
            number += 1

    def close(self) -> None:
        self._client.close()


def test_actor_kill_keeps_acknowledged_edits(server: Server) -> None:
    report = server.new_report()
    typed_section = report["sections"][0]["section_id"]
    rest_section = report["sections"][1]["section_id"]
    ann = server.yjs(report["id"], "ann@example.com")
    bob = server.yjs(report["id"], "bob@example.com")
    ann.wait_synced()
    bob.wait_synced()
    actor = report_actor_handle(uuid.UUID(report["id"]), server.settings)
    pid = ray.get(actor.process_id.remote(), timeout=30)
    editor = RestEditor(server, report["id"], rest_section)

    editor.start()
    typing = ann.send("type", section=typed_section, tokens=TOKENS, intervalMs=25)
    ann.wait_echo(TOKENS[20])
    mark = len(ann.events)
    os.kill(pid, signal.SIGKILL)
    ann.result(typing, timeout=RECOVERY_SECONDS)
    ann.wait_event(lambda event: event["event"] == "synced", RECOVERY_SECONDS, after=mark)
    bob.wait_text(typed_section, lambda text: TOKENS[-1] in text, RECOVERY_SECONDS)
    editor.stop.set()
    editor.join(timeout=RECOVERY_SECONDS)
    final = editor.put("final")
    editor.close()
    closes = [event for event in ann.events[mark:] if event["event"] == "close"]
    echoed = {event["label"] for event in ann.events if event["event"] == "echoed"}
    fresh = server.yjs(report["id"], "carol@example.com")
    fresh.wait_synced()
    rest = server.pm.get(f"/api/reports/pmr/{report['id']}").json()
    bodies: dict[str, Any] = {
        section["section_id"]: section["content"]["body"] for section in rest["sections"]
    }
    problems = [problem_of(response) for response in editor.errors]

    assert ray.get(actor.process_id.remote(), timeout=30) != pid
    assert closes, "the kill did not close ann's socket"
    assert TOKENS[20] in echoed
    typed = fresh.text(typed_section)
    assert {token: typed.count(token) for token in echoed} == dict.fromkeys(echoed, 1)
    assert {token: typed.count(token) for token in TOKENS} == dict.fromkeys(TOKENS, 1)
    assert ann.text(typed_section) == typed
    assert bob.text(typed_section) == typed
    assert bodies[typed_section] == typed
    assert final.status_code == 200, final.text
    assert bodies[rest_section] == " ".join(editor.acknowledged)
    assert len(editor.acknowledged) > 1
    assert [problem["status"] for problem in problems] == [503] * len(problems)
    assert all(problem["detail"] for problem in problems)
    assert fresh.text(rest_section) == bodies[rest_section]
