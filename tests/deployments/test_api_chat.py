"""Chat editing over the API: the documented instructions, a scripted model, live editors."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.sync.client import connect

from config import Settings
from deployments import server
from deployments.app import create_app
from deployments.auth import Role, token_service
from deployments.services import Services
from schedules import sample_project_bytes

if TYPE_CHECKING:
    from tests.knowledge.scripted_model import ScriptedModel

Auth = Callable[[Role], dict[str, str]]
JOB_DEADLINE_SECONDS = 180.0
WAIT_SECONDS = 30.0
SUMMARY = "executive_summary"


async def sample_report(client: httpx.AsyncClient, auth: Auth) -> dict[str, Any]:
    pm = auth(Role.PROJECT_MANAGER)
    imported = await client.post(
        "/api/projects/import", files={"file": ("s.json", sample_project_bytes())}, headers=pm
    )
    assert imported.status_code == 201, imported.text
    started = await client.post(
        "/api/reports/pmr/generate",
        # Chat needs no simulation, and skipping it keeps each report a few seconds away.
        json={
            "project_id": imported.json()["project_id"],
            "report_month": "2025-07",
            "include_monte_carlo": False,
        },
        headers=pm,
    )
    job_url = f"/api/jobs/{started.json()['generation_job_id']}"
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    job = (await client.get(job_url, headers=pm)).json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        # NOTE: the jobs API has no wait; this polls it under a deadline.
        job = (await client.get(job_url, headers=pm)).json()
    assert job["status"] == "completed", job
    report = await client.get(f"/api/reports/pmr/{started.json()['id']}", headers=pm)
    body: dict[str, Any] = report.json()
    return body


async def chat(
    client: httpx.AsyncClient, headers: dict[str, str], report_id: str, message: str, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/reports/pmr/{report_id}/edit/chat",
        json={"message": message, "context": {"current_section": SUMMARY}, **extra},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def section_body(report: dict[str, Any], section_id: str) -> str:
    section = next(s for s in report["sections"] if s["section_id"] == section_id)
    body: str = section["content"]["body"]
    return body


async def test_instructions_edit_without_model(client: httpx.AsyncClient, auth: Auth) -> None:
    report = await sample_report(client, auth)
    editor = auth(Role.EDITOR)
    first_word = section_body(report, SUMMARY).split()[0]

    replaced = await chat(client, editor, report["id"], f'replace "{first_word}" with "Today,"')
    session = replaced["session_id"]
    appended = await chat(
        client,
        editor,
        report["id"],
        "append a paragraph to the budget analysis: The sponsor reviewed the forecast.",
        session_id=session,
    )
    highlighted = await chat(
        client, editor, report["id"], "highlight the recent milestone", session_id=session
    )
    removed = await chat(client, editor, report["id"], "remove the last paragraph")
    rewritten = await chat(
        client, editor, report["id"], "rewrite the budget analysis from the current figures"
    )
    after = (await client.get(f"/api/reports/pmr/{report['id']}", headers=editor)).json()

    assert replaced["changes_applied"][0]["change_type"] == "content_update"
    assert replaced["changes_applied"][0]["new_content"].startswith("Today,")
    assert appended["session_id"] == session
    assert appended["changes_applied"][0]["new_content"].endswith(
        "The sponsor reviewed the forecast."
    )
    assert (
        "Milestone A1160 Design approved for construction was achieved on 14 May 2025"
        in (highlighted["changes_applied"][0]["new_content"])
    )
    assert removed["changes_applied"][0]["change_type"] == "paragraph_removed"
    assert "Milestone A1160" not in removed["changes_applied"][0]["new_content"]
    assert rewritten["changes_applied"][0]["new_content"] == section_body(
        report, "budget_analysis"
    )
    assert 0 < rewritten["changes_applied"][0]["confidence"] <= 1
    assert section_body(after, SUMMARY) == removed["changes_applied"][0]["new_content"]
    log = await client.get(f"/api/reports/pmr/{report['id']}/collaborate", headers=editor)
    assert log.status_code == 404  # no session was started; the change log is read below
    history = await client.post(
        f"/api/reports/pmr/{report['id']}/collaborate",
        json={
            "participants": ["editor@example.com"],
            "permissions": {"editor@example.com": "edit"},
        },
        headers=auth(Role.PROJECT_MANAGER),
    )
    kinds = {entry["change_type"] for entry in history.json()["changes_log"]}
    assert {"chat:content_update", "chat:paragraph_added", "chat:section_rewritten"} <= kinds


async def test_free_form_chat_without_model_says_so(client: httpx.AsyncClient, auth: Auth) -> None:
    report = await sample_report(client, auth)

    answer = await chat(client, auth(Role.EDITOR), report["id"], "Make the summary punchier")

    assert answer["changes_applied"] == []
    assert "No language model is configured" in answer["response"]
    assert "PMR_LLM_BASE_URL" in answer["response"]


async def test_instruction_for_unknown_section_is_explained(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    report = await sample_report(client, auth)

    answer = await chat(
        client, auth(Role.EDITOR), report["id"], "append a paragraph to the weather: Rain."
    )

    assert answer["changes_applied"] == []
    assert "no section 'weather'" in answer["response"]


@pytest.fixture
async def model_client(
    api_settings: Settings, ray_cluster: None, scripted_model: ScriptedModel
) -> AsyncIterator[httpx.AsyncClient]:
    settings = api_settings.model_copy(
        update={
            "llm_base_url": scripted_model.base_url,
            "llm_model": "scripted-1",
            "llm_timeout_seconds": 0.5,
            "llm_max_retries": 0,
        }
    )
    services = Services.create(settings)
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://pmr.test") as client:
        yield client
    services.close()


async def test_model_tool_calls_edit_and_cite(
    model_client: httpx.AsyncClient, auth: Auth, scripted_model: ScriptedModel
) -> None:
    report = await sample_report(model_client, auth)
    scripted_model.call(
        (
            "append_paragraph",
            {"section_id": "risk_assessment", "text": "Steel delivery is the main risk."},
        ),
        content="I added the steel delivery risk, as the fabricator reported [1].",
    )

    answer = await chat(
        model_client, auth(Role.EDITOR), report["id"], "Note the fabricator's plate delivery"
    )

    change = answer["changes_applied"][0]
    assert change["section_id"] == "risk_assessment"
    assert change["new_content"].endswith("Steel delivery is the main risk.")
    assert answer["response"].startswith("I added the steel delivery risk")
    prompt = json.dumps(scripted_model.requests[0]["messages"], ensure_ascii=False)
    assert f"[1] {answer['citations'][0]['locator']}:" in prompt
    assert len(answer["citations"]) == 1
    assert answer["model"] == "scripted-1"
    assert "Fabricator reported slow delivery of S355 plate" in prompt


async def test_model_invented_numbers_are_rejected(
    model_client: httpx.AsyncClient, auth: Auth, scripted_model: ScriptedModel
) -> None:
    report = await sample_report(model_client, auth)
    before = section_body(report, SUMMARY)
    scripted_model.call(
        ("append_paragraph", {"section_id": SUMMARY, "text": "CPI has recovered to 1.37."}),
        content="Done: the project will finish 17 days early and save £412k.",
    )

    answer = await chat(model_client, auth(Role.EDITOR), report["id"], "Add good news")
    after = await model_client.get(f"/api/reports/pmr/{report['id']}", headers=auth(Role.VIEWER))

    assert answer["changes_applied"] == []
    assert "1.37" in answer["refused"][0]["reason"]
    assert "withheld" in answer["response"]
    assert "£412k" in answer["response"]
    assert "17 days early" not in answer["response"]
    assert section_body(after.json(), SUMMARY) == before


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        pytest.param(
            lambda m: m.call(("replace_text", '{"section_id": "executive_summary", "old')),
            "not valid JSON",
            id="malformed-json",
        ),
        pytest.param(lambda m: m.hold(), "TimeoutError", id="timeout"),
    ],
)
async def test_model_failure_keeps_report_unchanged(
    model_client: httpx.AsyncClient,
    auth: Auth,
    scripted_model: ScriptedModel,
    script: Callable[[ScriptedModel], None],
    expected: str,
) -> None:
    report = await sample_report(model_client, auth)
    script(scripted_model)

    answer = await chat(model_client, auth(Role.EDITOR), report["id"], "Polish the summary")

    assert answer["changes_applied"] == []
    assert "could not be used" in answer["response"]
    assert expected in answer["response"]


async def test_model_edit_refused_without_edit_permission(
    model_client: httpx.AsyncClient, auth: Auth, scripted_model: ScriptedModel
) -> None:
    report = await sample_report(model_client, auth)
    started = await model_client.post(
        f"/api/reports/pmr/{report['id']}/collaborate",
        json={
            "participants": ["editor@example.com"],
            "permissions": {"editor@example.com": "comment"},
        },
        headers=auth(Role.PROJECT_MANAGER),
    )
    assert started.status_code == 200, started.text
    scripted_model.call(("rewrite_section", {"section_id": "budget_analysis"}))

    answer = await chat(model_client, auth(Role.EDITOR), report["id"], "Refresh the budget")

    assert answer["changes_applied"] == []
    assert answer["refused"][0]["section_id"] == "budget_analysis"
    assert "may not edit" in answer["refused"][0]["reason"]


async def test_chat_refused_to_those_session_leaves_out(
    model_client: httpx.AsyncClient, auth: Auth, scripted_model: ScriptedModel
) -> None:
    report = await sample_report(model_client, auth)
    await model_client.post(
        f"/api/reports/pmr/{report['id']}/collaborate",
        json={"participants": ["editor@example.com"]},
        headers=auth(Role.PROJECT_MANAGER),
    )
    scripted_model.say("The summary says the project is on plan.")

    response = await model_client.post(
        f"/api/reports/pmr/{report['id']}/edit/chat",
        json={"message": "What does the summary say?"},
        headers=auth(Role.VIEWER),
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert scripted_model.requests == []


# Live editors behind Serve --------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_update(connection: Any, wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no section_update containing {wanted!r} within {WAIT_SECONDS} s"
        event: dict[str, Any] = json.loads(connection.recv(timeout=remaining))
        if event["type"] == "section_update" and wanted in event["changes"]["content"]:
            return event


def test_chat_edits_reach_live_editor(
    session_settings: Settings, ray_cluster: None, scripted_model: ScriptedModel
) -> None:
    settings = session_settings.model_copy(
        update={
            "port": _free_port(),
            "llm_base_url": scripted_model.base_url,
            "llm_model": "scripted-1",
        }
    )
    url = server.start(settings)
    tokens = token_service(settings)
    pm = {"Authorization": f"Bearer {tokens.issue('pm@example.com', Role.PROJECT_MANAGER)}"}
    try:
        with httpx.Client(base_url=url, headers=pm, timeout=60) as http:
            project = http.post(
                "/api/projects/import", files={"file": ("s.json", sample_project_bytes())}
            )
            started = http.post(
                "/api/reports/pmr/generate",
                json={"project_id": project.json()["project_id"], "report_month": "2025-07"},
            ).json()
            job_url = f"/api/jobs/{started['generation_job_id']}"
            deadline = time.monotonic() + JOB_DEADLINE_SECONDS
            while http.get(job_url).json()["status"] in ("queued", "running"):
                assert time.monotonic() < deadline, "generation did not finish"
                time.sleep(0.2)  # NOTE: polls the job API, which has no wait, under a deadline
            report_id = started["id"]
            editor = tokens.issue("live@example.com", Role.EDITOR)
            ws_url = url.replace("http://", "ws://")
            with connect(
                f"{ws_url}/ws/reports/pmr/{report_id}/collaborate?format=json&token={editor}",
                open_timeout=WAIT_SECONDS,
            ) as live:
                deterministic = http.post(
                    f"/api/reports/pmr/{report_id}/edit/chat",
                    json={
                        "message": "append a paragraph to the executive summary: Gate 3 passed."
                    },
                )
                first = _wait_update(live, "Gate 3 passed.")
                scripted_model.call(
                    (
                        "replace_text",
                        {"section_id": SUMMARY, "old_text": "Gate 3", "new_text": "Gate three"},
                    )
                )
                modelled = http.post(
                    f"/api/reports/pmr/{report_id}/edit/chat",
                    json={"message": "Spell out the gate number"},
                )
                second = _wait_update(live, "Gate three passed.")
    finally:
        server.stop()

    assert deterministic.status_code == 200, deterministic.text
    assert modelled.status_code == 200, modelled.text
    assert modelled.json()["changes_applied"][0]["new_content"].endswith("Gate three passed.")
    assert first["section_id"] == SUMMARY
    assert first["user_id"] == "pm@example.com"
    assert second["section_id"] == SUMMARY
