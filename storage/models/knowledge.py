"""Tables of the assistant: project documents and their passages, insight reviews, chats."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, JsonObject, UtcDateTime, utc_now

# SQLite numbers rows only through an INTEGER primary key.
_ROW_ID = BigInteger().with_variant(Integer(), "sqlite")


class ProjectDocumentRow(Base):
    """A text, Markdown or PDF file uploaded to a project for retrieval."""

    __tablename__ = "project_documents"
    __table_args__ = (Index(None, "project_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    characters: Mapped[int]
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class DocumentPassageRow(Base):
    """One retrievable passage of an uploaded document, with where in it it sits."""

    __tablename__ = "document_passages"
    __table_args__ = (Index(None, "document_id", "seq"),)

    id: Mapped[int] = mapped_column(_ROW_ID, primary_key=True, autoincrement=True)
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("project_documents.id", ondelete="CASCADE")
    )
    seq: Mapped[int]
    # "page 3", "section Budget", "paragraph 4": how a reader finds the passage.
    locator: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)


class InsightReviewRow(Base):
    """A user's verdict on one insight of a report; appended, never updated."""

    __tablename__ = "insight_reviews"
    __table_args__ = (Index(None, "report_id", "insight_id"),)

    id: Mapped[int] = mapped_column(_ROW_ID, primary_key=True, autoincrement=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    insight_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    previous_status: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(320))
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class ChatSessionRow(Base):
    """A chat-editing conversation of one user about one report."""

    __tablename__ = "chat_sessions"
    __table_args__ = (Index(None, "report_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(320))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    last_activity: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class ChatMessageRow(Base):
    """One turn of a chat: the user's message or the assistant's answer with its changes."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index(None, "session_id", "id"),)

    id: Mapped[int] = mapped_column(_ROW_ID, primary_key=True, autoincrement=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    # Changes applied, refusals and citations, as the API returned them.
    details: Mapped[JsonObject] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
