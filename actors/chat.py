"""Chat editing: a message becomes edits applied through the report's actor, and an answer.

Without a language model, the instructions documented in ``knowledge.instructions`` are
understood and anything else is answered with what is possible. With one, the model gets
the report, the figures and the best-matching project passages, and calls the same edit
operations as tools. Text a model writes is checked: a change whose new text holds a
figure the analysis did not compute is refused, and an answer with one is replaced by a
plain account of what was done. Every change goes through ``ReportActor.apply_chat_edit``,
so live editors receive it at once and the session's change log records it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from actors.errors import root_cause
from actors.insights_tasks import LoadedReport, load_report
from actors.registry import report_actor_handle
from config import Settings
from crdt import DocumentError
from insights import generate_insights
from knowledge import (
    EditError,
    EditKind,
    EditRequest,
    FigureSet,
    Hit,
    InstructionError,
    LanguageModel,
    LanguageModelError,
    ModelConfig,
    ProjectLibrary,
    SectionNames,
    edit_from_call,
    parse_instruction,
    tool_definitions,
)
from knowledge.milestones import find_milestone, milestone_sentence
from reporting import ReportHeader, compose_report
from storage import Database, ReportRepository
from storage.repositories.knowledge import ChatMessage, ChatRepository

logger = logging.getLogger(__name__)

INSTRUCTIONS_HELP = (
    'replace "old phrase" with "new phrase" in SECTION; append a paragraph to SECTION: TEXT; '
    'remove paragraph N (or the last paragraph, or the paragraph containing "phrase") from '
    "SECTION; rewrite SECTION from the current figures; highlight milestone CODE in SECTION "
    "(or highlight the recent milestone)"
)
# A model's change: its figures are verified against the analysis, its wording is not.
MODEL_CHANGE_CONFIDENCE = 0.9
# Changes applied from one model reply; each becomes a stored edit of the report.
MAX_MODEL_CHANGES = 20
_PASSAGES_SHOWN = 5
_HISTORY_TURNS = 10
_BODY_CHARS_SHOWN = 3000
_MARKER = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True, slots=True)
class ChatCaller:
    email: str
    role_permission: str
    is_admin: bool


@dataclass(slots=True)
class ChatTurn:
    """What one message produced; ``as_response`` is the API's body."""

    session_id: uuid.UUID
    response: str = ""
    changes: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, str]] = field(default_factory=list)
    model: str | None = None

    def as_response(self) -> dict[str, Any]:
        return {
            "response": self.response,
            "changes_applied": self.changes,
            "session_id": str(self.session_id),
            "suggestions": self.suggestions,
            "refused": self.refused,
            "citations": self.citations,
            "model": self.model,
        }


class ChatService:
    """Chat editing for the reports of one deployment; one object per API replica."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self._settings = settings
        self._chats = ChatRepository(database)
        self._reports = ReportRepository(database)
        self._library = ProjectLibrary(database)
        self._model = ModelConfig.from_settings(settings)

    async def handle(
        self,
        report_id: uuid.UUID,
        caller: ChatCaller,
        message: str,
        *,
        session_id: uuid.UUID | None = None,
        current_section: str | None = None,
    ) -> dict[str, Any]:
        """Answer one chat message, applying the edits it asks for."""
        record = await asyncio.to_thread(self._reports.get, report_id)
        session = await asyncio.to_thread(self._chats.open, report_id, caller.email, session_id)
        actor = report_actor_handle(report_id, self._settings)
        permission = await actor.permission_for.remote(
            caller.email, caller.role_permission, caller.is_admin
        )
        document: dict[str, Any] = await actor.read.remote()
        titles = {s["section_id"]: s["title"] for s in document["sections"]}
        context = _Context(report_id, record.project_id, caller, permission == "edit", document)
        turn = ChatTurn(session_id=session)
        try:
            request = parse_instruction(message, SectionNames(titles, current_section))
        except InstructionError as error:
            turn.response = f"I could not apply that: {error}."
            request = None
        else:
            if request is not None:
                await self._apply(context, request, turn, confidence=None)
                turn.response = _summary(turn)
            elif self._model is None:
                turn.response = (
                    "No language model is configured, so I can only follow these "
                    f"instructions: {INSTRUCTIONS_HELP}. An administrator can set "
                    "PMR_LLM_BASE_URL and PMR_LLM_MODEL to enable free-form chat."
                )
            else:
                await self._converse(context, message, session, turn)
        turn.suggestions = _suggestions(document, turn)
        await asyncio.to_thread(self._record, session, message, turn)
        return turn.as_response()

    # Applying edits --------------------------------------------------------------------------

    async def _apply(
        self,
        context: _Context,
        request: EditRequest,
        turn: ChatTurn,
        *,
        confidence: float | None,
        figures: FigureSet | None = None,
    ) -> None:
        refusal = self._refusal(context, request, figures)
        if refusal is not None:
            self._refuse(context, request, refusal, turn)
            return
        try:
            prepared, section_confidence = await self._prepare(context, request)
            actor = report_actor_handle(context.report_id, self._settings)
            result = await actor.apply_chat_edit.remote(prepared, context.caller.email)
        except Exception as error:
            # The actor's errors arrive wrapped by Ray; only edit and document errors are
            # the user's to fix.
            cause = root_cause(error)
            if not isinstance(cause, EditError | DocumentError):
                raise
            self._refuse(context, request, str(cause), turn)
            return
        turn.changes.append(
            {
                "section_id": request.section_id,
                "change_type": request.kind.change_type,
                "old_content": result["old_content"],
                "new_content": result["new_content"],
                "confidence": round(
                    confidence if confidence is not None else section_confidence, 4
                ),
            }
        )
        logger.info(
            "report %s: chat %s of %s by %s",
            context.report_id,
            request.kind.value,
            request.section_id,
            context.caller.email,
        )

    def _refuse(
        self, context: _Context, request: EditRequest, reason: str, turn: ChatTurn
    ) -> None:
        logger.info(
            "report %s: chat %s of %s by %s not applied: %s",
            context.report_id,
            request.kind.value,
            request.section_id,
            context.caller.email,
            reason,
        )
        turn.refused.append(_refused(request, reason))

    def _refusal(
        self, context: _Context, request: EditRequest, figures: FigureSet | None
    ) -> str | None:
        if not context.can_edit:
            return (
                f"{context.caller.email} may not edit this report's sections; ask the session's "
                "project manager for edit permission"
            )
        if request.section_id not in context.titles:
            return f"the report has no section {request.section_id!r}"
        if figures is not None and request.new_text:
            invented = figures.unsupported(request.new_text)
            if invented:
                return (
                    "the new text holds figures the analysis did not compute ("
                    + ", ".join(invented)
                    + "); it was not applied"
                )
        return None

    async def _prepare(self, context: _Context, request: EditRequest) -> tuple[EditRequest, float]:
        """Fill in the text of rewrites and highlights; return the request and its confidence.

        Text edits are applied exactly as asked, so their confidence is 1; a rewrite carries
        the confidence of the section's forecasts.
        """
        if request.kind is EditKind.REWRITE_SECTION:
            loaded = await context.loaded(self._settings)
            body, score = _rewritten(context, loaded, request.section_id)
            return EditRequest(request.kind, request.section_id, new_text=body), score
        if request.kind is EditKind.HIGHLIGHT_MILESTONE:
            loaded = await context.loaded(self._settings)
            sentence = milestone_sentence(find_milestone(loaded.project, request.milestone))
            return EditRequest(request.kind, request.section_id, new_text=sentence), 1.0
        return request, 1.0

    # The language model --------------------------------------------------------------------

    async def _converse(
        self, context: _Context, message: str, session: uuid.UUID, turn: ChatTurn
    ) -> None:
        index = await asyncio.to_thread(
            self._library.index, context.project_id, exclude_report=context.report_id
        )
        # Other reports of the project whose sessions leave the caller out stay unquoted.
        closed = await asyncio.to_thread(
            self._library.closed_to,
            context.project_id,
            context.caller.email,
            is_admin=context.caller.is_admin,
        )
        hits = index.search(message, k=_PASSAGES_SHOWN, hidden=closed)
        history = await asyncio.to_thread(self._chats.history, session, limit=_HISTORY_TURNS)
        figures = _figures(context.document, message, hits)
        assert self._model is not None
        turn.model = self._model.model
        try:
            async with LanguageModel(self._model) as model:
                reply = await model.chat(
                    _messages(context, message, hits, history), tools=tool_definitions()
                )
        except LanguageModelError as error:
            logger.warning("report %s: chat model failed: %s", context.report_id, error)
            turn.response = (
                f"The language model could not be used ({error}); nothing was changed. "
                f"These instructions work without it: {INSTRUCTIONS_HELP}."
            )
            return
        calls = reply.tool_calls[:MAX_MODEL_CHANGES]
        if len(reply.tool_calls) > MAX_MODEL_CHANGES:
            logger.info(
                "report %s: model requested %d changes in one reply; the first %d are considered",
                context.report_id,
                len(reply.tool_calls),
                MAX_MODEL_CHANGES,
            )
            turn.refused.append(
                {
                    "section_id": None,
                    "change_type": "tool_calls",
                    "reason": (
                        f"the model asked for {len(reply.tool_calls):,} changes in one reply; "
                        f"only the first {MAX_MODEL_CHANGES} were considered"
                    ),
                }
            )
        for call in calls:
            try:
                request = edit_from_call(call)
            except LanguageModelError as error:
                turn.refused.append(
                    {"section_id": None, "change_type": call.name, "reason": str(error)}
                )
                continue
            await self._apply(
                context, request, turn, confidence=MODEL_CHANGE_CONFIDENCE, figures=figures
            )
        turn.response = _checked_answer(reply.content, figures, turn)
        turn.citations = _cited(reply.content, hits) if turn.response == reply.content else []

    def _record(self, session: uuid.UUID, message: str, turn: ChatTurn) -> None:
        details = turn.as_response()
        details.pop("response")
        self._chats.append(
            session,
            [ChatMessage("user", message), ChatMessage("assistant", turn.response, details)],
        )


@dataclass(slots=True)
class _Context:
    report_id: uuid.UUID
    project_id: uuid.UUID
    caller: ChatCaller
    can_edit: bool
    document: dict[str, Any]
    _loaded: LoadedReport | None = None

    @property
    def titles(self) -> dict[str, str]:
        return {s["section_id"]: s["title"] for s in self.document["sections"]}

    async def loaded(self, settings: Settings) -> LoadedReport:
        if self._loaded is None:
            self._loaded = await asyncio.to_thread(load_report, self.report_id, settings)
        return self._loaded


def _rewritten(context: _Context, loaded: LoadedReport, section_id: str) -> tuple[str, float]:
    meta = loaded.document.get("meta", {})
    header = ReportHeader(
        report_id=str(context.report_id),
        project_id=str(context.project_id),
        title=str(meta.get("title", "")),
        description=None,
        report_month=loaded.facts.report_month,
        template_id=None,
        generated_at=datetime.now(UTC),
    )
    content = compose_report(
        header,
        loaded.facts,
        section_ids=[section_id],
        insights=generate_insights(loaded.facts),
        monte_carlo=None,
        earned_value={},
    )
    section = content["sections"][0]
    if not section["ai_generated"]:
        raise EditError(f"section {section_id} has no narrative written from the figures")
    return section["body"], float(section["confidence_score"] or 1.0)


def _figures(document: dict[str, Any], message: str, hits: list[Hit]) -> FigureSet:
    """Everything the report computed and states, the user's message and the passages."""
    figures = FigureSet()
    figures.add_data(document.get("metrics", {}))
    figures.add_data(document.get("insights", []))
    figures.add_data(document.get("monte_carlo") or {})
    for section in document["sections"]:
        figures.add_text(section["body"])
        figures.add_data(section["metrics"])
    figures.add_text(message)
    for hit in hits:
        figures.add_text(hit.passage.text)
    return figures


def _messages(
    context: _Context, message: str, hits: list[Hit], history: list[ChatMessage]
) -> list[dict[str, Any]]:
    sections = [
        {
            "section_id": s["section_id"],
            "title": s["title"],
            "body": s["body"][:_BODY_CHARS_SHOWN],
        }
        for s in context.document["sections"]
    ]
    insights = [
        {k: i.get(k) for k in ("insight_id", "insight_type", "category", "title", "content")}
        for i in context.document.get("insights", [])[:15]
    ]
    passages = "\n".join(
        f"[{n}] {hit.passage.locator}: {hit.passage.text}" for n, hit in enumerate(hits, 1)
    )
    system = (
        "You edit a project monthly report. Use the tools to change sections; never invent "
        "figures: every number you write must appear in the report data or passages given. "
        "Cite passages you rely on with their [n] marker. Answer briefly."
    )
    data = json.dumps(
        {
            "sections": sections,
            "key_metrics": context.document.get("metrics", {}).get("key_metrics", {}),
            "insights": insights,
        },
        ensure_ascii=False,
    )
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "system", "content": f"Report data: {data}\n\nPassages:\n{passages or 'none'}"},
    ]
    messages.extend({"role": m.role, "content": m.content} for m in history)
    messages.append({"role": "user", "content": message})
    return messages


def _checked_answer(content: str, figures: FigureSet, turn: ChatTurn) -> str:
    invented = figures.unsupported(content) if content else []
    if content and not invented and not turn.refused:
        return content
    summary = _summary(turn)
    if invented:
        return (
            f"{summary} The model's own answer was withheld because it stated figures the "
            f"analysis did not compute ({', '.join(invented)})."
        )
    if content:
        # The model writes its reply text before its edits are checked, so the text may
        # describe a change that was not applied.
        return (
            f"{summary} The model's own answer was withheld because some of its changes "
            "were not applied."
        )
    return summary


def _cited(content: str, hits: list[Hit]) -> list[dict[str, str]]:
    used = sorted({int(n) for n in _MARKER.findall(content) if 1 <= int(n) <= len(hits)})
    return [hits[n - 1].passage.citation() for n in used]


def _summary(turn: ChatTurn) -> str:
    parts = [
        f"Applied {change['change_type'].replace('_', ' ')} to {change['section_id']}."
        for change in turn.changes
    ]
    parts += [
        f"Did not apply {item['change_type'].replace('_', ' ')}"
        + (f" to {item['section_id']}" if item["section_id"] else "")
        + f": {item['reason']}."
        for item in turn.refused
    ]
    return " ".join(parts) if parts else "Nothing was changed."


def _refused(request: EditRequest, reason: str) -> dict[str, Any]:
    return {
        "section_id": request.section_id,
        "change_type": request.kind.change_type,
        "reason": reason,
    }


def _suggestions(document: dict[str, Any], turn: ChatTurn) -> list[dict[str, Any]]:
    """Suggest the most urgent alert not yet mentioned in the executive summary."""
    summary = next(
        (s["body"] for s in document["sections"] if s["section_id"] == "executive_summary"), ""
    )
    for change in turn.changes:
        if change["section_id"] == "executive_summary":
            summary = change["new_content"]
    for insight in document.get("insights", []):
        if insight.get("insight_type") == "alert" and insight["title"] not in summary:
            return [
                {
                    "type": "enhancement",
                    "content": f"Mention the alert '{insight['title']}' in the executive summary",
                    "section": "executive_summary",
                    "insight_id": insight.get("insight_id"),
                }
            ]
    return []
