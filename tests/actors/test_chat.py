"""Chat against a scripted model on loopback, with the report actor in this process."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from actors import chat
from actors.chat import ChatCaller, ChatService
from actors.report_actor import ReportActor
from config import Settings
from crdt import ReportDocument
from storage import (
    CollaborationRepository,
    Database,
    ReportRepository,
    ReportStatus,
)

if TYPE_CHECKING:
    from tests.knowledge.scripted_model import ScriptedModel


class _RemoteMethod:
    def __init__(self, method: Callable[..., Awaitable[Any]]) -> None:
        self._method = method

    def remote(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        return self._method(*args, **kwargs)


class InProcessHandle:
    """A stand-in for the actor's Ray handle: ``handle.read.remote()`` awaits ``actor.read()``."""

    def __init__(self, actor: ReportActor) -> None:
        self._actor = actor

    def __getattr__(self, name: str) -> _RemoteMethod:
        return _RemoteMethod(getattr(self._actor, name))


@pytest.fixture
def chat_service(
    actor: ReportActor,
    session_settings: Settings,
    scripted_model: ScriptedModel,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ChatService]:
    settings = session_settings.model_copy(
        update={
            "llm_base_url": scripted_model.base_url,
            "llm_model": "scripted-1",
            "llm_max_retries": 0,
        }
    )
    monkeypatch.setattr(
        chat, "report_actor_handle", lambda _report, _settings: InProcessHandle(actor)
    )
    database = Database(settings.sqlalchemy_url)
    yield ChatService(settings, database)
    database.dispose()


async def test_model_edit_by_viewer_is_reported_refused(
    chat_service: ChatService,
    scripted_model: ScriptedModel,
    actor: ReportActor,
    new_report_id: uuid.UUID,
) -> None:
    scripted_model.call(
        ("append_paragraph", {"section_id": "summary", "text": "Steel is late."}),
        content="I added a paragraph on the steel delivery to the summary.",
    )
    viewer = ChatCaller("viewer@example.com", "view", is_admin=False)

    result = await chat_service.handle(new_report_id, viewer, "Say that steel is late.")

    document = await actor.read()
    summary = next(s for s in document["sections"] if s["section_id"] == "summary")
    assert summary["body"] == "On plan."
    assert result["changes_applied"] == []
    assert result["refused"][0]["reason"].startswith("viewer@example.com may not edit")
    assert "Did not apply paragraph added to summary" in result["response"]


async def test_model_changes_beyond_the_limit_are_refused_together(
    chat_service: ChatService,
    scripted_model: ScriptedModel,
    actor: ReportActor,
    new_report_id: uuid.UUID,
) -> None:
    # Words, not numbers: the chat refuses figures that the analysis did not compute.
    notes = [
        f"Note {chr(97 + n // 26)}{chr(97 + n % 26)}." for n in range(chat.MAX_MODEL_CHANGES + 30)
    ]
    scripted_model.call(
        *[("append_paragraph", {"section_id": "summary", "text": note}) for note in notes]
    )
    editor = ChatCaller("editor@example.com", "edit", is_admin=False)

    result = await chat_service.handle(new_report_id, editor, "Add the notes.")

    document = await actor.read()
    summary = next(s for s in document["sections"] if s["section_id"] == "summary")
    applied = [note for note in notes if note in summary["body"]]
    assert len(result["changes_applied"]) == chat.MAX_MODEL_CHANGES
    assert applied == notes[: chat.MAX_MODEL_CHANGES]
    assert result["refused"] == [
        {
            "section_id": None,
            "change_type": "tool_calls",
            "reason": f"the model asked for {len(notes)} changes in one reply; only the first "
            f"{chat.MAX_MODEL_CHANGES} were considered",
        }
    ]


@pytest.mark.parametrize("caller", ["ann@example.com", "bob@example.com"])
async def test_prompt_leaves_out_closed_reports(
    chat_service: ChatService,
    scripted_model: ScriptedModel,
    session_settings: Settings,
    sample_project_id: uuid.UUID,
    new_report_id: uuid.UUID,
    caller: str,
) -> None:
    database = Database(session_settings.sqlalchemy_url)
    reports = ReportRepository(database)
    other = reports.create(sample_project_id, title="February", report_month="2024-02").id
    document = ReportDocument()
    document.put_section("summary", title="Summary", body="The cofferdam was pumped dry.", order=0)
    reports.append_updates(other, [document.snapshot()])
    reports.set_status(other, ReportStatus.COMPLETED)
    CollaborationRepository(database).start(
        other,
        session_type="collaborative",
        permissions={"ann@example.com": "view"},
        started_by="pm@example.com",
    )
    database.dispose()
    scripted_model.say("Noted.")

    await chat_service.handle(
        new_report_id, ChatCaller(caller, "edit", is_admin=False), "What about the cofferdam?"
    )

    prompt = json.dumps(scripted_model.requests[-1]["messages"])
    assert ("pumped dry" in prompt) == (caller == "ann@example.com")
