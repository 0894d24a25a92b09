"""Every permission rule, exercised with real Yjs clients and JSON clients."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from deployments.auth import Role, TokenService

if TYPE_CHECKING:
    from tests.collaboration.conftest import Server, YjsClient


@pytest.fixture(scope="module")
def report(served: Server) -> dict[str, Any]:
    return served.new_report()


def first_section(report: dict[str, Any]) -> str:
    section_id: str = report["sections"][0]["section_id"]
    return section_id


def assert_edit_not_shared(
    clients: Server, report: dict[str, Any], observer: YjsClient, forbidden: str, editor: str
) -> None:
    """Check that an edit containing ``forbidden`` reached neither ``observer`` nor REST.

    A later edit by an editor is broadcast after the refused one was handled, so once the
    observer holds the later edit it would also hold the refused one, had it been shared.
    """
    section_id = first_section(report)
    writer = clients.yjs(report["id"], editor)
    writer.wait_synced()
    writer.insert(section_id, -1, " [marker]")
    seen = observer.wait_text(section_id, lambda text: text.endswith(" [marker]"))
    stored = clients.pm.get(f"/api/reports/pmr/{report['id']}").json()

    assert forbidden not in seen
    assert forbidden not in stored["sections"][0]["content"]["body"]


def test_viewer_yjs_edit_is_denied_and_not_shared(clients: Server, report: dict[str, Any]) -> None:
    section_id = first_section(report)
    observer = clients.yjs(report["id"], "olga@example.com")
    viewer = clients.yjs(report["id"], "vic@example.com", Role.VIEWER)
    viewer.wait_synced()
    observer.wait_synced()

    viewer.insert(section_id, 0, "VIEWER EDIT ")
    denied = viewer.wait_event(lambda event: event["event"] == "denied")
    local = viewer.text(section_id)

    assert "view permission" in denied["reason"]
    assert local.startswith("VIEWER EDIT ")
    assert_edit_not_shared(clients, report, observer, "VIEWER EDIT", "erin@example.com")
    assert viewer.request("info")["connected"] is True


def test_viewer_json_section_update_is_refused(clients: Server, report: dict[str, Any]) -> None:
    viewer = clients.json_client(report["id"], "vera@example.com", Role.VIEWER)

    viewer.send(
        "section_update",
        request_id="v1",
        section_id=first_section(report),
        changes={"content": "rewritten by a viewer"},
    )
    answer = viewer.wait_event(lambda event: event["type"] in ("ack", "error"))

    assert viewer.welcome["permission"] == "view"
    assert answer["type"] == "error"
    assert answer["request_id"] == "v1"
    assert "view permission" in answer["message"]


@pytest.fixture(scope="module")
def session_report(served: Server) -> dict[str, Any]:
    """A report whose session lists ann (edit), cora (comment) and vic (view)."""
    report = served.new_report()
    started = served.pm.post(
        f"/api/reports/pmr/{report['id']}/collaborate",
        json={
            "participants": ["ann@example.com", "cora@example.com", "vic@example.com"],
            "permissions": {"ann@example.com": "edit", "cora@example.com": "comment"},
        },
    )
    assert started.status_code == 200, started.text
    return report


def test_commenter_cannot_edit_text_through_yjs(
    clients: Server, session_report: dict[str, Any]
) -> None:
    section_id = first_section(session_report)
    ann = clients.yjs(session_report["id"], "ann@example.com")
    cora = clients.yjs(session_report["id"], "cora@example.com")
    ann.wait_synced()
    cora.wait_synced()

    cora.insert(section_id, 0, "COMMENTER EDIT ")
    denied = cora.wait_event(lambda event: event["event"] == "denied")

    assert "comment permission" in denied["reason"]
    assert_edit_not_shared(clients, session_report, ann, "COMMENTER EDIT", "ann@example.com")


def test_demoted_yjs_editor_gets_notice(clients: Server) -> None:
    report = clients.new_report()
    section_id = first_section(report)
    ann = clients.yjs(report["id"], "ann@example.com")
    ann.wait_synced()

    started = clients.pm.post(
        f"/api/reports/pmr/{report['id']}/collaborate",
        json={"participants": ["ann@example.com"], "permissions": {"ann@example.com": "view"}},
    )
    assert started.status_code == 200, started.text
    notice = ann.wait_event(lambda event: event["event"] == "denied")
    ann.insert(section_id, 0, "AFTER DEMOTION ")
    denied = ann.wait_event(
        lambda event: event["event"] == "denied" and "were not applied" in event["reason"]
    )

    assert notice["reason"].startswith("ann@example.com now has view permission")
    assert "view permission" in denied["reason"]
    assert ann.request("info")["connected"] is True


def test_commenter_comments_through_json_and_rest(
    clients: Server, session_report: dict[str, Any]
) -> None:
    section_id = first_section(session_report)
    ann = clients.yjs(session_report["id"], "ann@example.com")
    cora = clients.json_client(session_report["id"], "cora@example.com")
    ann.wait_synced()

    cora.send("comment_added", request_id="c1", section_id=section_id, content="Check the CPI.")
    added = cora.wait_event(lambda event: event["type"] in ("ack", "error"))
    cora.send("section_update", request_id="c2", section_id=section_id, changes={"content": "no"})
    refused = cora.wait_event(lambda event: event["type"] in ("ack", "error"))
    by_rest = clients.pm.post(
        f"/api/reports/pmr/{session_report['id']}/comments",
        headers=clients.auth("cora@example.com", Role.EDITOR),
        json={"section_id": section_id, "content": "And the SPI.", "position": 3},
    )
    ann.wait_until(lambda: len(ann.request("map", name="comments")) >= 2)
    in_yjs = ann.request("map", name="comments")

    assert added["type"] == "ack"
    assert added["result"]["content"] == "Check the CPI."
    assert added["result"]["user_id"] == "cora@example.com"
    assert refused["type"] == "error"
    assert "comment permission" in refused["message"]
    assert by_rest.status_code == 201, by_rest.text
    assert by_rest.json()["content"] == "And the SPI."
    assert {comment["content"] for comment in in_yjs.values()} >= {
        "Check the CPI.",
        "And the SPI.",
    }


def test_viewer_cannot_comment_through_rest(
    clients: Server, session_report: dict[str, Any]
) -> None:
    response = clients.pm.post(
        f"/api/reports/pmr/{session_report['id']}/comments",
        headers=clients.auth("vic@example.com", Role.EDITOR),
        json={"section_id": first_section(session_report), "content": "A viewer's note."},
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def refused_status(client: YjsClient) -> int:
    """Return the HTTP status of a refused upgrade, checking the client never connected."""
    refusal = client.wait_event(lambda event: event["event"] == "refused")
    again = client.wait_event(
        lambda event: event["event"] == "refused", after=client.events.index(refusal) + 1
    )
    connected = [event for event in client.events if event.get("status") == "connected"]

    assert again["status"] == refusal["status"]
    assert connected == []
    status: int = refusal["status"]
    return status


def test_non_participant_is_refused_with_403(
    clients: Server, session_report: dict[str, Any]
) -> None:
    dave = clients.yjs(session_report["id"], "dave@example.com")

    status = refused_status(dave)

    assert status == 403


@pytest.mark.parametrize(
    "token",
    [
        TokenService("another-secret-" + "y" * 40, timedelta(hours=1)).issue(
            "ann@example.com", Role.EDITOR
        ),
        "not-a-token",
    ],
    ids=["forged-signature", "garbage"],
)
def test_bad_token_is_refused_with_401(
    clients: Server, session_report: dict[str, Any], token: str
) -> None:
    client = clients.yjs(session_report["id"], "ann@example.com", token=token)

    status = refused_status(client)

    assert status == 401


def test_refused_upgrade_body_is_a_problem_document(
    clients: Server, session_report: dict[str, Any]
) -> None:
    url = f"{clients.url}/ws/reports/pmr/{session_report['id']}/collaborate"
    headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }

    response = httpx.get(url, params={"token": clients.token("dave@example.com")}, headers=headers)

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_a_participant"


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ann@example.com", "edit"),
        ("cora@example.com", "comment"),
        ("vic@example.com", "view"),
    ],
)
def test_permission_endpoint_names_each_participant(
    clients: Server, session_report: dict[str, Any], email: str, expected: str
) -> None:
    response = httpx.get(
        f"{clients.url}/api/reports/pmr/{session_report['id']}/collaborate/me",
        headers=clients.auth(email, Role.EDITOR),
    )

    assert response.status_code == 200
    assert response.json() == {
        "report_id": session_report["id"],
        "user_id": email,
        "permission": expected,
    }


def test_permission_endpoint_refuses_non_participant(
    clients: Server, session_report: dict[str, Any]
) -> None:
    response = httpx.get(
        f"{clients.url}/api/reports/pmr/{session_report['id']}/collaborate/me",
        headers=clients.auth("dave@example.com", Role.EDITOR),
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_participant"


UPGRADE_HEADERS = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


def test_unknown_format_is_refused_with_400(clients: Server, report: dict[str, Any]) -> None:
    url = f"{clients.url}/ws/reports/pmr/{report['id']}/collaborate"
    params = {"token": clients.token("ann@example.com"), "format": "xml"}

    response = httpx.get(url, params=params, headers=UPGRADE_HEADERS)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_format"
    assert "format=json" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    ["/ws/reports/pmr/{id}", "/api/reports/pmr/{id}/collaborate"],
    ids=["without collaborate", "under api"],
)
def test_unknown_socket_path_is_refused_with_404(
    clients: Server, report: dict[str, Any], path: str
) -> None:
    url = clients.url + path.format(id=report["id"])
    params = {"token": clients.token("ann@example.com")}

    response = httpx.get(url, params=params, headers=UPGRADE_HEADERS)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "/ws/reports/pmr/{report_id}/collaborate" in response.json()["detail"]
