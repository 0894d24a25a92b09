"""Edits the assistant makes to a report document, applied on the actor's staged fork.

Each function runs inside ``ReportActor._commit``, so it sees the document as it is when
the change is stored, concurrent live edits included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crdt import MAX_BODY_CHARS, MergeStrategy, ReportDocument
from knowledge.edits import EditKind, EditRequest, apply_text_edit

VALIDATION_STATUSES = ("pending", "validated", "rejected")


def _in_scope(
    insight: Mapping[str, Any], types: Sequence[str] | None, categories: Sequence[str] | None
) -> bool:
    return (types is None or insight.get("insight_type") in types) and (
        categories is None or insight.get("category") in categories
    )


def merge_insights(
    document: ReportDocument,
    generated: Sequence[Mapping[str, Any]],
    types: Sequence[str] | None,
    categories: Sequence[str] | None,
) -> list[dict[str, Any]]:
    """Replace the insights within the requested types and categories; return the new ones.

    An insight regenerated with the same id and the same text keeps its validation status;
    one whose text changed goes back to pending, because a verdict on other figures no
    longer applies.
    """
    current = document.to_dict()["insights"]
    previous = {item["insight_id"]: item for item in current if _in_scope(item, types, categories)}
    merged = []
    for insight in generated:
        item = dict(insight)
        before = previous.get(item["insight_id"])
        if before is not None and before.get("content") == item["content"]:
            item["validation_status"] = before.get("validation_status", "pending")
        merged.append(item)
    kept = [item for item in current if not _in_scope(item, types, categories)]
    document.set_insights([*merged, *kept])
    return merged


def set_insight_status(
    document: ReportDocument, insight_id: str, status: str
) -> tuple[dict[str, Any], str] | None:
    """Set one insight's validation status; return it and its previous status, or None."""
    if status not in VALIDATION_STATUSES:
        raise ValueError(f"validation status {status!r} is invalid; use {VALIDATION_STATUSES}")
    insights = document.to_dict()["insights"]
    for position, item in enumerate(insights):
        if item.get("insight_id") == insight_id:
            previous = str(item.get("validation_status", "pending"))
            insights[position] = {**item, "validation_status": status}
            document.set_insights(insights)
            return insights[position], previous
    return None


def apply_chat_edit(document: ReportDocument, request: EditRequest) -> tuple[str, str]:
    """Apply one chat edit to its section; return the body before and after.

    A rewrite carries its whole new body in ``new_text``; a milestone highlight carries
    the sentence to append. The others are applied to the body as it stands now.

    Raises:
        SectionNotFoundError: the report has no such section.
        EditError: the phrase or paragraph to change is not in the section.
    """
    old = document.section_body(request.section_id)
    if request.kind is EditKind.REWRITE_SECTION:
        new = request.new_text or ""
        strategy = MergeStrategy.REPLACE
    elif request.kind is EditKind.HIGHLIGHT_MILESTONE:
        new = apply_text_edit(
            old,
            EditRequest(EditKind.APPEND_PARAGRAPH, request.section_id, new_text=request.new_text),
            max_chars=MAX_BODY_CHARS,
        )
        strategy = MergeStrategy.MERGE
    else:
        new = apply_text_edit(old, request, max_chars=MAX_BODY_CHARS)
        strategy = MergeStrategy.MERGE
    document.update_section(request.section_id, body=new, strategy=strategy)
    return old, new
