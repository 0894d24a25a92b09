"""No edit lost or doubled when the report actor's process is killed mid-edit."""

from __future__ import annotations

import os
import signal
import uuid
from typing import TYPE_CHECKING

import ray

from actors import report_actor_handle

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server

TOKENS = [f"[{number:03d}]" for number in range(150)]


def test_actor_kill_mid_edit_keeps_each_edit_once(clients: Server) -> None:
    report = clients.new_report()
    section_id = report["sections"][0]["section_id"]
    ann = clients.yjs(report["id"], "ann@example.com")
    bob = clients.yjs(report["id"], "bob@example.com")
    ann.wait_synced()
    bob.wait_synced()
    actor = report_actor_handle(uuid.UUID(report["id"]), clients.settings)
    pid = ray.get(actor.process_id.remote(), timeout=30)

    typing = ann.send("type", section=section_id, tokens=TOKENS, intervalMs=25)
    ann.wait_echo(TOKENS[20])
    mark = len(ann.events)
    os.kill(pid, signal.SIGKILL)
    ann.result(typing, timeout=60)
    ann.wait_event(lambda event: event["event"] == "synced", timeout=60, after=mark)
    bob.wait_text(section_id, lambda text: TOKENS[-1] in text, timeout=60)
    # Edits typed while the socket was down reach the server inside the resync, not echoed.
    echoed = {event["label"] for event in ann.events if event["event"] == "echoed"}
    fresh = clients.yjs(report["id"], "carol@example.com")
    fresh.wait_synced()
    text = fresh.text(section_id)
    rest = clients.pm.get(f"/api/reports/pmr/{report['id']}").json()
    new_pid = ray.get(actor.process_id.remote(), timeout=30)

    assert new_pid != pid
    assert TOKENS[20] in echoed
    assert {token: text.count(token) for token in echoed} == dict.fromkeys(echoed, 1)
    assert {token: text.count(token) for token in TOKENS} == dict.fromkeys(TOKENS, 1)
    assert ann.text(section_id) == text
    assert bob.text(section_id) == text
    assert rest["sections"][0]["content"]["body"] == text
