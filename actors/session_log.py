"""The report's change log: who changed which section, coalesced before it is stored.

Live editing produces an update per keystroke; the log wants one line per person, section
and kind of change within a short window, so changes are gathered and written every
``FLUSH_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime
from typing import Any

from storage import Change, CollaborationRepository, StorageError

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 2.0


class ChangeLog:
    def __init__(self, report_id: uuid.UUID, sessions: CollaborationRepository) -> None:
        self._report_id = report_id
        self._sessions = sessions
        self._pending: dict[tuple[str, str | None, str], None] = {}
        self._last_flush = time.monotonic()
        # When this actor last stored a window, which is also the session's last_activity.
        self.stored_at: datetime | None = None

    def record(self, user: str, section_id: str | None, change_type: str) -> None:
        self._pending[(user, section_id, change_type)] = None

    async def flush_due(self) -> None:
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            await self.flush()

    async def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        batch, self._pending = list(self._pending), {}
        changes = [Change(user, section, kind) for user, section, kind in batch]
        try:
            stored_at = await asyncio.to_thread(self._sessions.log, self._report_id, changes)
        except StorageError as error:
            # The document itself is stored; only this summary of who changed what is lost.
            logger.error(
                "report %s: %d change-log entries were not stored: %s",
                self._report_id,
                len(changes),
                error,
            )
            return
        self.stored_at = stored_at

    def history(self) -> list[dict[str, Any]]:
        """Return stored and pending changes, oldest first, as JSON-ready values."""
        stored = [
            {
                "user_id": record.user_id,
                "section_id": record.section_id,
                "change_type": record.change_type,
                "changed_at": record.changed_at.isoformat(),
            }
            for record in self._sessions.changes(self._report_id)
        ]
        pending = [
            {"user_id": user, "section_id": section, "change_type": kind, "changed_at": None}
            for user, section, kind in self._pending
        ]
        return stored + pending
