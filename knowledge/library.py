"""A project's library: its uploaded documents, schedule, risk register and earlier reports.

``ProjectLibrary.add_document`` reads an upload into passages and stores them;
``ProjectLibrary.index`` returns a BM25 index over everything the project holds. Indexes
are kept per process and rebuilt when a document or report of the project changes.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

from crdt import ReportDocument
from knowledge.extraction import extract
from knowledge.index import PassageIndex
from knowledge.passages import Passage, project_passages, report_of, report_passages
from storage import (
    CollaborationRepository,
    Database,
    ProjectRepository,
    ReportRepository,
    ReportStatus,
)
from storage.repositories.knowledge import DocumentRecord, DocumentRepository, NewPassage

logger = logging.getLogger(__name__)

# Indexes kept per process; a project's index is small next to its project model.
_CACHED_INDEXES = 16
# Earlier reports indexed per project, newest first.
_REPORTS_INDEXED = 12


class ProjectLibrary:
    """Retrieval over one database's projects; safe to share between threads."""

    def __init__(self, database: Database) -> None:
        self._documents = DocumentRepository(database)
        self._projects = ProjectRepository(database)
        self._reports = ReportRepository(database)
        self._sessions = CollaborationRepository(database)
        self._lock = threading.Lock()
        self._indexes: OrderedDict[tuple[object, ...], PassageIndex] = OrderedDict()
        self._schedule_passages: OrderedDict[uuid.UUID, list[Passage]] = OrderedDict()

    def add_document(
        self, project_id: uuid.UUID, name: str, data: bytes, *, created_by: str | None = None
    ) -> DocumentRecord:
        """Read an uploaded file into passages and store it with them.

        Raises:
            DocumentFormatError: the file is not readable text, Markdown or PDF.
            NotFound: the project does not exist.
        """
        document = extract(name, data)
        return self._documents.add(
            project_id,
            name=name,
            media_type=document.media_type,
            passages=[NewPassage(p.locator, p.text) for p in document.passages],
            created_by=created_by,
        )

    def documents(self, project_id: uuid.UUID) -> list[DocumentRecord]:
        return self._documents.for_project(project_id)

    def closed_to(
        self, project_id: uuid.UUID, email: str | None, *, is_admin: bool = False
    ) -> Callable[[Passage], bool] | None:
        """Return a test for passages of reports whose session leaves the user out, or None.

        The index is shared by everyone who searches the project, so a report's collaboration
        session is applied to its passages at search time. With ``email`` None, the passages
        of every report that has a session are left out.
        """
        report_ids = [record.id for record in self._reports.list_for_project(project_id)]
        closed = {
            str(report_id)
            for report_id in self._sessions.closed_to(report_ids, email, is_admin=is_admin)
        }
        if not closed:
            return None
        return lambda passage: report_of(passage) in closed

    def index(
        self, project_id: uuid.UUID, *, exclude_report: uuid.UUID | None = None
    ) -> PassageIndex:
        """Return the index of everything the project holds, except ``exclude_report``."""
        documents = self._documents.for_project(project_id)
        reports = [
            record
            for record in self._reports.list_for_project(project_id)
            if record.status is ReportStatus.COMPLETED and record.id != exclude_report
        ][:_REPORTS_INDEXED]
        key = (
            project_id,
            tuple(document.id for document in documents),
            tuple((record.id, record.version) for record in reports),
        )
        with self._lock:
            cached = self._indexes.get(key)
            if cached is not None:
                self._indexes.move_to_end(key)
                return cached
        started = time.perf_counter()
        passages = [*self._schedule(project_id), *self._uploaded(project_id)]
        for record in reports:
            passages.extend(self._report(record.id, record.report_month))
        built = PassageIndex(passages)
        with self._lock:
            self._indexes[key] = built
            while len(self._indexes) > _CACHED_INDEXES:
                self._indexes.popitem(last=False)
        logger.info(
            "indexed %d passages of project %s in %.2f s",
            len(built),
            project_id,
            time.perf_counter() - started,
        )
        return built

    def _schedule(self, project_id: uuid.UUID) -> list[Passage]:
        with self._lock:
            cached = self._schedule_passages.get(project_id)
        if cached is not None:
            return cached
        # An imported project never changes, so its passages are kept for the process.
        passages = project_passages(self._projects.get(project_id))
        with self._lock:
            self._schedule_passages[project_id] = passages
            while len(self._schedule_passages) > _CACHED_INDEXES:
                self._schedule_passages.popitem(last=False)
        return passages

    def _uploaded(self, project_id: uuid.UUID) -> list[Passage]:
        return [
            Passage(
                passage_id=f"document:{stored.document_id}:{stored.seq}",
                source="document",
                title=stored.document_name,
                locator=f"{stored.document_name}, {stored.locator}",
                text=stored.text,
            )
            for stored in self._documents.passages(project_id)
        ]

    def _report(self, report_id: uuid.UUID, report_month: str) -> list[Passage]:
        snapshot, rows = self._reports.load(report_id)
        updates = ([snapshot] if snapshot else []) + [update for _, update in rows]
        view = ReportDocument.from_updates(updates).to_dict()
        return report_passages(str(report_id), report_month, view["sections"])
