"""The report document schema on pycrdt and the y-websocket protocol; no Ray and no I/O."""

from crdt.annotations import (
    SectionWatcher,
    add_comment,
    anchor,
    comment_view,
    list_comments,
    resolve_anchor,
    resolve_comment,
)
from crdt.awareness import (
    AwarenessEntry,
    AwarenessTable,
    RelayedAwareness,
    decode_awareness,
    encode_awareness,
)
from crdt.document import MAX_BODY_CHARS, MAX_TITLE_CHARS, MergeStrategy, ReportDocument
from crdt.errors import (
    CommentNotFoundError,
    DocumentError,
    ProtocolError,
    SectionNotFoundError,
    UpdateRejectedError,
)

__all__ = [
    "MAX_BODY_CHARS",
    "MAX_TITLE_CHARS",
    "AwarenessEntry",
    "AwarenessTable",
    "CommentNotFoundError",
    "DocumentError",
    "MergeStrategy",
    "ProtocolError",
    "RelayedAwareness",
    "ReportDocument",
    "SectionNotFoundError",
    "SectionWatcher",
    "UpdateRejectedError",
    "add_comment",
    "anchor",
    "comment_view",
    "decode_awareness",
    "encode_awareness",
    "list_comments",
    "resolve_anchor",
    "resolve_comment",
]
