"""Tables of the audit trail: the hash-chained log of changes and the head of its chain.

Each entry's ``entry_hash`` covers its own content and ``previous_hash``, the hash of the
entry before it, so changing or deleting a stored entry breaks the chain where it happened.
The single row of ``audit_chain_head`` contains the last sequence number and hash. Appends
lock that row first, so writers in different processes extend one chain in turn.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, JsonObject, UtcDateTime, utc_now

# The previous hash of the first entry: 64 zeros, the width of a SHA-256 hex digest.
GENESIS_HASH = "0" * 64
# The one row of audit_chain_head has this id.
CHAIN_HEAD_ID = 1


class AuditEntryRow(Base):
    """One audited change: who did what to which target, with content hashes around it.

    ``report_id`` carries no foreign key, because the trail must outlive a deleted report.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "report_id", "seq"),)

    # Numbered from 1 without gaps, so a deleted entry shows as a missing number.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(200))
    report_id: Mapped[uuid.UUID | None]
    detail: Mapped[JsonObject] = mapped_column(JSON)
    before_hash: Mapped[str | None] = mapped_column(String(64))
    after_hash: Mapped[str | None] = mapped_column(String(64))
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHeadRow(Base):
    """The last entry of the audit chain: its sequence number and hash (0 and zeros at first)."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[str] = mapped_column(String(64))
