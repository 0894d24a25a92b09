"""The report actor: the single authority over one report's document.

Every change is staged on a fork of the document, appended to the report's update log in
the database, and only then applied to the live document. A change that fails to store
therefore changes nothing, and a restarted actor rebuilds exactly what was acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import ray

from config import Settings
from crdt import MergeStrategy, ReportDocument
from storage import Database, ReportRepository

logger = logging.getLogger(__name__)

# Merge the update log into a snapshot once it holds this many rows.
COMPACT_AFTER_UPDATES = 200


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ReportActor:
    """Owns one report's pycrdt document and its persistence.

    Created through ``actors.registry``; Ray restarts it after a crash, and ``__init__``
    reloads the document from the stored snapshot and update log.
    """

    def __init__(self, report_id: str, settings: Settings) -> None:
        self._report_id = uuid.UUID(report_id)
        self._database = Database(settings.sqlalchemy_url)
        self._reports = ReportRepository(self._database)
        # A failed load raises here, so Ray reports the actor as failed and keeps nothing.
        snapshot, rows = self._reports.load(self._report_id)
        stored = ([snapshot] if snapshot else []) + [update for _, update in rows]
        self._document = ReportDocument.from_updates(stored)
        self._log_rows = len(rows)
        self._last_seq = rows[-1][0] if rows else 0
        self._write_lock = asyncio.Lock()
        self._compaction: asyncio.Task[None] | None = None
        logger.info(
            "report %s loaded: %d stored updates, %d bytes",
            report_id,
            len(stored),
            sum(map(len, stored)),
        )

    async def read(self) -> dict[str, Any]:
        """Return the document as JSON-ready values."""
        return self._document.to_dict()

    async def process_id(self) -> int:
        return os.getpid()

    async def write_generated(self, content: Mapping[str, Any]) -> int:
        """Write generated report content once, as one stored change; return the version.

        ``content`` holds ``meta``, ``sections`` (dicts with section_id, title, body,
        order, metrics, ai_generated, confidence_score), ``insights``, ``monte_carlo``
        and ``metrics``. Sections already present are left alone, so a repeated call
        after a retry does not duplicate text.
        """

        def edit(document: ReportDocument) -> None:
            existing = set(document.section_ids())
            document.set_meta(content.get("meta", {}))
            for section in content.get("sections", []):
                if section["section_id"] in existing:
                    continue
                document.put_section(
                    section["section_id"],
                    title=section["title"],
                    body=section["body"],
                    order=section["order"],
                    metrics=section.get("metrics"),
                    ai_generated=section.get("ai_generated", False),
                    confidence_score=section.get("confidence_score"),
                )
            document.set_insights(content.get("insights", []))
            if content.get("monte_carlo") is not None:
                document.set_monte_carlo(content["monte_carlo"])
            document.set_metrics(content.get("metrics", {}))

        return await self._commit(edit)

    async def update_section(
        self,
        section_id: str,
        *,
        title: str | None,
        body: str | None,
        metrics: Mapping[str, Any] | None,
        strategy: str,
    ) -> dict[str, Any]:
        """Apply a direct section update; return the section as stored and the version.

        Raises:
            SectionNotFoundError: the report has no such section.
        """
        merge = MergeStrategy(strategy)

        def edit(document: ReportDocument) -> None:
            document.update_section(
                section_id, title=title, body=body, metrics=metrics, strategy=merge
            )

        version = await self._commit(edit)
        view = self._document.to_dict()
        section = next(s for s in view["sections"] if s["section_id"] == section_id)
        return {
            "section": section,
            "version": version,
            "last_modified": view["meta"].get("last_modified"),
        }

    async def set_monte_carlo(self, analysis: Mapping[str, Any]) -> int:
        return await self._commit(lambda document: document.set_monte_carlo(analysis))

    async def _commit(self, edit: Callable[[ReportDocument], None]) -> int:
        """Stage ``edit`` on a fork, store the resulting update, then apply it; return the version.

        The lock keeps one fork at a time, because forks author under the same client id.
        """
        async with self._write_lock:
            before = self._document.state_vector()
            staged = self._document.fork()
            edit(staged)
            version = staged.bump_version(_now())
            update = staged.changes_since(before)
            self._last_seq = await asyncio.to_thread(
                self._reports.append_updates, self._report_id, [update]
            )
            self._document.apply(update)
            self._log_rows += 1
        self._maybe_compact()
        return version

    def _maybe_compact(self) -> None:
        running = self._compaction is not None and not self._compaction.done()
        if self._log_rows < COMPACT_AFTER_UPDATES or running:
            return
        self._compaction = asyncio.get_running_loop().create_task(self._compact())

    async def _compact(self) -> None:
        async with self._write_lock:
            snapshot = self._document.snapshot()
            up_to = self._last_seq
        await asyncio.to_thread(self._reports.compact, self._report_id, snapshot, up_to)
        async with self._write_lock:
            self._log_rows = max(self._log_rows - COMPACT_AFTER_UPDATES, 0)
        logger.info("report %s compacted up to update %d", self._report_id, up_to)


RemoteReportActor = ray.remote(num_cpus=0, max_restarts=-1)(ReportActor)
