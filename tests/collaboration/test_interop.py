"""Unmodified y-websocket clients and JSON clients editing one report through Serve."""

from __future__ import annotations

from typing import TYPE_CHECKING

from websockets.sync.client import connect

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server


def test_yjs_client_syncs_and_edits_with_json_client(clients: Server) -> None:
    report = clients.new_report()
    section = report["sections"][0]
    section_id = section["section_id"]
    ann = clients.yjs(report["id"], "ann@example.com")
    bob = clients.yjs(report["id"], "bob@example.com")
    carol = clients.json_client(report["id"], "carol@example.com")
    ann.wait_event(lambda event: event == {"event": "status", "status": "connected"})
    ann.wait_synced()
    bob.wait_synced()

    original = ann.text(section_id)
    ann.insert(section_id, 0, "Ann was here. ")
    bob_text = bob.wait_text(section_id, lambda text: text.startswith("Ann was here. "))
    seen_by_carol = carol.wait_event(
        lambda event: (
            event["type"] == "section_update"
            and event["changes"]["content"].startswith("Ann was here. ")
        )
    )
    carol.send(
        "section_update",
        request_id="r1",
        section_id=section_id,
        changes={"content": "Ann was here. " + original + " Carol agrees."},
    )
    ack = carol.wait_event(lambda event: event["type"] in ("ack", "error"))
    wanted = "Ann was here. " + original + " Carol agrees."
    ann_final = ann.wait_text(section_id, lambda text: text.endswith("Carol agrees."))
    bob_final = bob.wait_text(section_id, lambda text: text.endswith("Carol agrees."))
    rest = clients.pm.get(f"/api/reports/pmr/{report['id']}").json()

    assert original == section["content"]["body"]
    assert bob_text == "Ann was here. " + original
    assert seen_by_carol["user_id"] == "ann@example.com"
    assert seen_by_carol["section_id"] == section_id
    assert ack == {
        "type": "ack",
        "request_id": "r1",
        "event": "section_update",
        "result": {"section_id": section_id},
    }
    assert ann_final == wanted
    assert bob_final == wanted
    assert rest["sections"][0]["content"]["body"] == wanted


def test_upgrade_declines_per_message_compression(clients: Server) -> None:
    report = clients.new_report()
    url = f"{clients.ws_url}/{report['id']}/collaborate?token={clients.token('ann@example.com')}"

    # The client offers permessage-deflate, as browsers and the Node ws package do.
    with connect(url, compression="deflate", open_timeout=20) as websocket:
        assert websocket.request is not None
        assert websocket.response is not None
        offered = websocket.request.headers.get("Sec-WebSocket-Extensions")
        accepted = websocket.response.headers.get("Sec-WebSocket-Extensions")
        first = websocket.recv(timeout=20)

    assert offered is not None
    assert "permessage-deflate" in offered
    assert accepted is None
    assert isinstance(first, bytes)
    assert first[:2] == b"\x00\x00"
