"""Storage of project documents and their passages, insight reviews and chat sessions."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from storage.database import Database
from storage.errors import InvalidData, NotFound
from storage.models import (
    ChatMessageRow,
    ChatSessionRow,
    DocumentPassageRow,
    InsightReviewRow,
    ProjectDocumentRow,
    ProjectRow,
)
from storage.models.base import utc_now

logger = logging.getLogger(__name__)

_REVIEW_STATUSES = ("pending", "validated", "rejected")
_CHAT_ROLES = ("user", "assistant")


@dataclass(frozen=True, slots=True)
class NewPassage:
    locator: str
    text: str


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    media_type: str
    characters: int
    passages: int
    created_by: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPassage:
    document_id: uuid.UUID
    document_name: str
    seq: int
    locator: str
    text: str


class DocumentRepository:
    """Uploaded project documents, stored with their passages in one transaction."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def add(
        self,
        project_id: uuid.UUID,
        *,
        name: str,
        media_type: str,
        passages: Sequence[NewPassage],
        created_by: str | None = None,
    ) -> DocumentRecord:
        """Store a document and its passages; nothing is stored when any part fails.

        Raises:
            NotFound: the project does not exist.
            InvalidData: the document has no passages.
        """
        if not passages:
            raise InvalidData(f"document {name!r} holds no text to index; upload text, not scans")
        document_id = uuid.uuid4()
        with self._database.session() as session:
            if session.get(ProjectRow, project_id) is None:
                raise NotFound("project", str(project_id))
            session.add(
                ProjectDocumentRow(
                    id=document_id,
                    project_id=project_id,
                    name=name,
                    media_type=media_type,
                    characters=sum(len(p.text) for p in passages),
                    created_by=created_by,
                    created_at=utc_now(),
                )
            )
            session.flush()
            session.execute(
                insert(DocumentPassageRow),
                [
                    {"document_id": document_id, "seq": seq, "locator": p.locator, "text": p.text}
                    for seq, p in enumerate(passages)
                ],
            )
        logger.info(
            "document %s (%s, %d passages) added to project %s",
            name,
            media_type,
            len(passages),
            project_id,
        )
        return self.get(document_id)

    def get(self, document_id: uuid.UUID) -> DocumentRecord:
        with self._database.session() as session:
            row = session.get(ProjectDocumentRow, document_id)
            if row is None:
                raise NotFound("document", str(document_id))
            count = len(
                session.scalars(
                    select(DocumentPassageRow.id).where(
                        DocumentPassageRow.document_id == document_id
                    )
                ).all()
            )
            return _document(row, count)

    def for_project(self, project_id: uuid.UUID) -> list[DocumentRecord]:
        """Return the project's documents, oldest first."""
        query = (
            select(ProjectDocumentRow)
            .where(ProjectDocumentRow.project_id == project_id)
            .order_by(ProjectDocumentRow.created_at, ProjectDocumentRow.name)
        )
        with self._database.session() as session:
            rows = session.scalars(query).all()
            counts = _passage_counts(session, [row.id for row in rows])
            return [_document(row, counts.get(row.id, 0)) for row in rows]

    def passages(self, project_id: uuid.UUID) -> list[StoredPassage]:
        """Return every passage of the project's documents, in document and page order."""
        query = (
            select(DocumentPassageRow, ProjectDocumentRow.name)
            .join(ProjectDocumentRow, ProjectDocumentRow.id == DocumentPassageRow.document_id)
            .where(ProjectDocumentRow.project_id == project_id)
            .order_by(ProjectDocumentRow.created_at, DocumentPassageRow.seq)
        )
        with self._database.session() as session:
            return [
                StoredPassage(row.document_id, name, row.seq, row.locator, row.text)
                for row, name in session.execute(query).all()
            ]


def _passage_counts(session: Any, document_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not document_ids:
        return {}
    counts: dict[uuid.UUID, int] = {}
    query = select(DocumentPassageRow.document_id).where(
        DocumentPassageRow.document_id.in_(document_ids)
    )
    for document_id in session.scalars(query).all():
        counts[document_id] = counts.get(document_id, 0) + 1
    return counts


def _document(row: ProjectDocumentRow, passages: int) -> DocumentRecord:
    return DocumentRecord(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        media_type=row.media_type,
        characters=row.characters,
        passages=passages,
        created_by=row.created_by,
        created_at=row.created_at,
    )


@dataclass(frozen=True, slots=True)
class InsightReview:
    insight_id: str
    status: str
    previous_status: str
    user_id: str
    comment: str
    reviewed_at: datetime


class InsightReviewRepository:
    """The log of who validated or rejected which insight of a report."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def record(
        self,
        report_id: uuid.UUID,
        insight_id: str,
        *,
        status: str,
        previous_status: str,
        user_id: str,
        comment: str = "",
    ) -> InsightReview:
        if status not in _REVIEW_STATUSES:
            raise InvalidData(f"review status {status!r} is invalid; use {_REVIEW_STATUSES}")
        now = utc_now()
        with self._database.session() as session:
            session.add(
                InsightReviewRow(
                    report_id=report_id,
                    insight_id=insight_id,
                    status=status,
                    previous_status=previous_status,
                    user_id=user_id,
                    comment=comment,
                    reviewed_at=now,
                )
            )
        logger.info("insight %s of report %s %s by %s", insight_id, report_id, status, user_id)
        return InsightReview(insight_id, status, previous_status, user_id, comment, now)

    def history(self, report_id: uuid.UUID, insight_id: str | None = None) -> list[InsightReview]:
        """Return the reviews of a report (or of one insight), oldest first."""
        query = select(InsightReviewRow).where(InsightReviewRow.report_id == report_id)
        if insight_id is not None:
            query = query.where(InsightReviewRow.insight_id == insight_id)
        with self._database.session() as session:
            rows = session.scalars(query.order_by(InsightReviewRow.id)).all()
            return [
                InsightReview(
                    row.insight_id,
                    row.status,
                    row.previous_status,
                    row.user_id,
                    row.comment,
                    row.reviewed_at,
                )
                for row in rows
            ]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str
    content: str
    details: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


class ChatRepository:
    """Chat-editing sessions and their messages."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def open(self, report_id: uuid.UUID, user_id: str, session_id: uuid.UUID | None) -> uuid.UUID:
        """Return ``session_id`` when it is this user's session of this report, else a new one.

        Raises:
            NotFound: ``session_id`` names no session of this user on this report.
        """
        with self._database.session() as session:
            if session_id is not None:
                row = session.get(ChatSessionRow, session_id)
                if row is None or row.report_id != report_id or row.user_id != user_id:
                    raise NotFound("chat session", str(session_id))
                return session_id
            created = ChatSessionRow(
                id=uuid.uuid4(), report_id=report_id, user_id=user_id, started_at=utc_now()
            )
            session.add(created)
            return created.id

    def append(self, session_id: uuid.UUID, messages: Sequence[ChatMessage]) -> None:
        now = utc_now()
        for message in messages:
            if message.role not in _CHAT_ROLES:
                raise InvalidData(f"chat role {message.role!r} is invalid; use {_CHAT_ROLES}")
        with self._database.session() as session:
            session.execute(
                insert(ChatMessageRow),
                [
                    {
                        "session_id": session_id,
                        "role": m.role,
                        "content": m.content,
                        "details": dict(m.details),
                        "created_at": now,
                    }
                    for m in messages
                ],
            )
            session.execute(
                update(ChatSessionRow)
                .where(ChatSessionRow.id == session_id)
                .values(last_activity=now)
            )

    def history(self, session_id: uuid.UUID, *, limit: int = 20) -> list[ChatMessage]:
        """Return the newest ``limit`` messages of a session, oldest first."""
        query = (
            select(ChatMessageRow)
            .where(ChatMessageRow.session_id == session_id)
            .order_by(ChatMessageRow.id.desc())
            .limit(limit)
        )
        with self._database.session() as session:
            rows = session.scalars(query).all()
            messages = [
                ChatMessage(r.role, r.content, dict(r.details), r.created_at) for r in rows
            ]
        return list(reversed(messages))
