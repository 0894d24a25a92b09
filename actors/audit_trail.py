"""The audit entries of one report actor: direct changes at once, live edits coalesced.

A direct change (REST, a job, the chat assistant) becomes one entry, appended before the
call returns. Live edits from Yjs and JSON clients arrive per keystroke, so they are
gathered per person and section, like the session's change log. Every ``FLUSH_SECONDS``
each group becomes one entry, hashing the section text before its first edit and after
its last. A failed append keeps its entries and retries at the next
flush, because the document change they describe is already stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crdt import ReportDocument, list_comments
from storage import (
    AuditEvent,
    AuditRepository,
    AuditTarget,
    CollaborationSession,
    StorageError,
    content_hash,
)

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 2.0
# Entries kept for a retry while the database is down; older ones are dropped beyond this.
MAX_PENDING = 10_000
# Change types whose commit edits the text of the section it names.
_SECTION_CHANGES = ("content_update", "chat:")


@dataclass(slots=True)
class _LiveWindow:
    """Live edits of one person to one section (or to the rest of the document)."""

    before: str | None
    after: str | None
    updates: int = 0
    comments: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class ChangeContext:
    """The state of a change that the actor captures before applying it."""

    user: str
    change_type: str
    section_hint: str | None
    live: bool
    document_before: str | None


def document_hash(document: ReportDocument) -> str:
    """Return the hash of the whole document: content, sections and comments."""
    return content_hash({"document": document.to_dict(), "comments": list_comments(document)})


def section_hash(document: ReportDocument, section_id: str) -> str | None:
    """Return the hash of a section's text, or None when the section does not exist."""
    view = document.section_view(section_id)
    return None if view is None else content_hash(str(view["body"]))


class AuditTrail:
    """Turns the report's applied changes into audit entries and appends them."""

    def __init__(
        self, report_id: uuid.UUID, repository: AuditRepository, document: ReportDocument
    ) -> None:
        self._report_id = report_id
        self._repository = repository
        self._sections = {sid: section_hash(document, sid) for sid in document.section_ids()}
        self._live: dict[tuple[str, str | None], _LiveWindow] = {}
        self._pending: list[AuditEvent] = []
        self._flush_lock = asyncio.Lock()
        self._last_flush = time.monotonic()

    def before(
        self,
        document: ReportDocument,
        *,
        user: str,
        change_type: str,
        section_hint: str | None,
        live: bool,
    ) -> ChangeContext:
        """Capture what the entry needs from the document before the change is applied."""
        whole = None
        if not live and not _targets_section(change_type, section_hint):
            whole = document_hash(document)
        return ChangeContext(user, change_type, section_hint, live, whole)

    def after(
        self,
        document: ReportDocument,
        context: ChangeContext,
        sections: set[str],
        comments: set[str],
    ) -> None:
        """Record an applied change: queue its entry, or add it to the live window."""
        changed = self._rehash(document, sections)
        if context.live:
            self._coalesce(context.user, changed, comments)
        elif _targets_section(context.change_type, context.section_hint):
            assert context.section_hint is not None
            known = self._sections.get(context.section_hint)
            before, after = changed.get(context.section_hint, (known, known))
            self._queue(
                _section_event(self._report_id, context, context.section_hint, before, after)
            )
        else:
            self._queue(
                AuditEvent(
                    actor=context.user,
                    action=context.change_type,
                    target_type=AuditTarget.REPORT,
                    target_id=str(self._report_id),
                    report_id=self._report_id,
                    before_hash=context.document_before,
                    after_hash=document_hash(document),
                    detail=_hint(context.section_hint, comments),
                )
            )

    def record(self, event: AuditEvent) -> None:
        """Queue an entry the actor builds itself, such as a session start."""
        self._queue(event)

    async def flush_due(self) -> None:
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            await self.flush()

    async def flush(self) -> None:
        """Append the live windows and every queued entry, in the order they happened."""
        async with self._flush_lock:
            self._last_flush = time.monotonic()
            self._close_live_windows()
            if not self._pending:
                return
            batch, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._repository.append, batch)
            except StorageError as error:
                self._pending = batch + self._pending
                logger.warning(
                    "report %s: %d audit entries not stored yet (%s); retrying at the next flush",
                    self._report_id,
                    len(batch),
                    error,
                )
                self._trim()

    def _rehash(
        self, document: ReportDocument, sections: set[str]
    ) -> dict[str, tuple[str | None, str | None]]:
        changed = {}
        for section_id in sorted(sections):
            before = self._sections.get(section_id)
            after = section_hash(document, section_id)
            self._sections[section_id] = after
            changed[section_id] = (before, after)
        return changed

    def _coalesce(
        self, user: str, changed: Mapping[str, tuple[str | None, str | None]], comments: set[str]
    ) -> None:
        for section_id, (before, after) in changed.items():
            window = self._live.setdefault((user, section_id), _LiveWindow(before, after))
            window.after = after
            window.updates += 1
        if comments or not changed:
            window = self._live.setdefault((user, None), _LiveWindow(None, None))
            window.updates += 1
            window.comments.update(comments)

    def _close_live_windows(self) -> None:
        windows, self._live = self._live, {}
        for (user, section_id), window in windows.items():
            detail: dict[str, Any] = {"updates": window.updates}
            if section_id is not None:
                self._pending.append(
                    AuditEvent(
                        actor=user,
                        action="section_edited_live",
                        target_type=AuditTarget.SECTION,
                        target_id=section_id,
                        report_id=self._report_id,
                        before_hash=window.before,
                        after_hash=window.after,
                        detail=detail,
                    )
                )
                continue
            if window.comments:
                detail["comments"] = sorted(window.comments)
            self._pending.append(
                AuditEvent(
                    actor=user,
                    action="document_edited_live",
                    target_type=AuditTarget.REPORT,
                    target_id=str(self._report_id),
                    report_id=self._report_id,
                    detail=detail,
                )
            )

    def _queue(self, event: AuditEvent) -> None:
        # Live windows open before this change are closed first, so the chain keeps the
        # order in which changes happened.
        self._close_live_windows()
        self._pending.append(event)
        self._trim()

    def _trim(self) -> None:
        excess = len(self._pending) - MAX_PENDING
        if excess > 0:
            del self._pending[:excess]
            logger.error(
                "report %s: %d audit entries dropped because the database stayed "
                "unavailable and more than %d waited",
                self._report_id,
                excess,
                MAX_PENDING,
            )


def session_event(
    report_id: uuid.UUID,
    previous: CollaborationSession | None,
    started: CollaborationSession,
    started_by: str,
) -> AuditEvent:
    """Return the audit entry of a session start: its permissions before and after."""

    def permissions(session: CollaborationSession) -> dict[str, Any]:
        granted = {email: permission.value for email, permission in session.permissions.items()}
        return {"session_type": session.session_type, "permissions": granted}

    return AuditEvent(
        actor=started_by,
        action="session_started",
        target_type=AuditTarget.SESSION,
        target_id=str(started.session_id),
        report_id=report_id,
        before_hash=content_hash(permissions(previous)) if previous else None,
        after_hash=content_hash(permissions(started)),
        detail=permissions(started),
    )


def export_event(
    report_id: uuid.UUID,
    export_id: uuid.UUID,
    requested_by: str,
    file_sha256: str,
    detail: Mapping[str, Any],
) -> AuditEvent:
    """Return the audit entry of a stored export; its after hash is the file's SHA-256."""
    return AuditEvent(
        actor=requested_by,
        action="report_exported",
        target_type=AuditTarget.EXPORT,
        target_id=str(export_id),
        report_id=report_id,
        after_hash=file_sha256,
        detail=detail,
    )


def _targets_section(change_type: str, section_hint: str | None) -> bool:
    return section_hint is not None and change_type.startswith(_SECTION_CHANGES)


def _hint(section_id: str | None, comments: set[str]) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if section_id is not None:
        detail["section_id"] = section_id
    if comments:
        detail["comments"] = sorted(comments)
    return detail


def _section_event(
    report_id: uuid.UUID,
    context: ChangeContext,
    section_id: str,
    before: str | None,
    after: str | None,
) -> AuditEvent:
    action = "section_updated" if context.change_type == "content_update" else context.change_type
    return AuditEvent(
        actor=context.user,
        action=action,
        target_type=AuditTarget.SECTION,
        target_id=section_id,
        report_id=report_id,
        before_hash=before,
        after_hash=after,
    )
