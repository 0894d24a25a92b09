"""Checking a client's update against the live document before it is stored.

Some updates decode fine yet fail to integrate into a particular document (pycrdt 0.14
raises "block parent … must be deleted or shared ref type" for an item naming a character
as its parent), and a well-formed update can still break the report's layout, for example
by making a section's ``order`` a string. Stored first, either would make the report
unloadable. So every client update is first applied to a shadow copy of the live
document, and the sections, comments and other top-level types it touches are checked.
Only an update that passes is stored. The same check applies the section length limit
of direct edits to Yjs updates, and rejects updates that add top-level shared types the
report does not have.

The shadow runs ahead of the live document by the updates waiting to be stored; applying
them again later changes nothing, because Yjs updates are idempotent.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from datetime import datetime
from typing import Any

from pycrdt import Array, Doc, Map, Text

from crdt.analysis_layout import block_problem
from crdt.annotations import SectionWatcher
from crdt.document import (
    COMMENTS,
    INSIGHTS,
    MAX_BODY_CHARS,
    MAX_TITLE_CHARS,
    META,
    METRICS,
    MONTE_CARLO,
    ROOT_TYPES,
    ReportDocument,
)
from crdt.errors import ProtocolError, UpdateRejectedError

logger = logging.getLogger(__name__)

# Section ids go into the session's change log, whose column has room for 64 characters, and into
# the audit trail. PostgreSQL rejects both a longer id and NUL in text, and the entries
# stored along with such an id would be lost with it.
_MAX_SECTION_ID_CHARS = 64
# Fields that crdt.annotations.add_comment writes as text and the comment listing reads.
_COMMENT_TEXT_FIELDS = ("comment_id", "section_id", "content", "created_at")
# Metadata fields that generation writes as text (reporting/compose.py), which report reads
# and exports show. The report routes parse the two time fields with datetime.fromisoformat.
_META_TEXT_FIELDS = (
    "report_id",
    "project_id",
    "title",
    "description",
    "report_month",
    "template_id",
    "status",
)
_META_TIME_FIELDS = ("generated_at", "last_modified")
_WATCHED_ROOTS = (META, INSIGHTS, MONTE_CARLO, METRICS)


def _section_problem(section_id: str, section: Any) -> str | None:
    if section is None:
        return None  # an editor removed the section
    if len(section_id) > _MAX_SECTION_ID_CHARS:
        return (
            f"section id {section_id[:_MAX_SECTION_ID_CHARS]!r}... has {len(section_id):,} "
            f"characters, more than the {_MAX_SECTION_ID_CHARS} allowed"
        )
    if any(unicodedata.category(char) == "Cc" for char in section_id):
        return f"section id {section_id!r} contains control characters"
    if not isinstance(section, Map):
        return f"section {section_id!r} must be a map, got {type(section).__name__}"
    title = section.get("title")
    if title is not None and not isinstance(title, str):
        return f"section {section_id!r} title must be text"
    body = section.get("body")
    if body is not None and not isinstance(body, Text):
        return f"section {section_id!r} body must be a shared text"
    order = section.get("order")
    if order is not None and (not isinstance(order, int | float) or isinstance(order, bool)):
        return f"section {section_id!r} order must be a number"
    if isinstance(order, float) and not math.isfinite(order):
        return f"section {section_id!r} order must be a finite number, got {order}"
    metrics = section.get("metrics")
    if metrics is not None and not isinstance(metrics, Map):
        return f"section {section_id!r} metrics must be a map"
    return None


def _comment_problem(comment_id: str, comment: Any) -> str | None:
    """Describe a comment that the comment listing could not read, or return None.

    Listing comments sorts them by ``created_at`` and ``comment_id``, filters them by
    ``section_id`` and decodes ``anchor`` as hex, so one comment without these fields
    would break every JSON client's welcome and the comment routes.
    """
    if comment is None:
        return None  # an editor removed the comment
    if not isinstance(comment, Map):
        return f"comment {comment_id!r} must be a map, got {type(comment).__name__}"
    for field in _COMMENT_TEXT_FIELDS:
        if not isinstance(comment.get(field), str):
            return f"comment {comment_id!r} {field} must be text"
    anchor = comment.get("anchor")
    if anchor is not None and not isinstance(anchor, str):
        return f"comment {comment_id!r} anchor must be text"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _meta_problem(meta: Map[Any]) -> str | None:
    for field in _META_TEXT_FIELDS:
        value = meta.get(field)
        if value is not None and not isinstance(value, str):
            return f"meta {field} must be text"
    for field in _META_TIME_FIELDS:
        value = meta.get(field)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            return f"meta {field} must be an ISO 8601 time as text"
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return f"meta {field} must be an ISO 8601 time, got {value!r:.80}"
    version = meta.get("version")
    if version is not None and not (_is_number(version) and math.isfinite(version)):
        return "meta version must be a finite number"
    return None


def _root_problem(name: str, document: ReportDocument) -> str | None:
    """Describe a top-level type that report reads or exports could not use, or return None.

    The report routes validate their responses, so an insight that is not an object, or a
    metadata time that does not parse, would make every read of the report fail. A wrong
    type in the metrics or the Monte Carlo analysis would make every export fail.
    """
    if name == META:
        return _meta_problem(document.doc.get(META, type=Map))
    if name == INSIGHTS:
        insights = document.doc.get(INSIGHTS, type=Array)
        for index, insight in enumerate(insights):
            if not isinstance(insight, dict | Map):
                return f"insight {index} must be an object, got {type(insight).__name__}"
        return None
    # Nested shared types read back as plain values, as report reads and exports see them.
    return block_problem(name, document.doc.get(name, type=Map).to_py() or {})


class _RootWatcher:
    """Collects which of the report's other top-level types an update changed."""

    def __init__(self, document: ReportDocument) -> None:
        self._changed: set[str] = set()
        self._subscriptions: list[tuple[Map[Any] | Array[Any], Any]] = []
        for name in _WATCHED_ROOTS:
            root = document.doc.get(name, type=Array if name == INSIGHTS else Map)
            self._subscriptions.append((root, root.observe_deep(self._observer(name))))

    def _observer(self, name: str) -> Any:
        def record(events: list[Any]) -> None:
            self._changed.add(name)

        return record

    def take(self) -> set[str]:
        """Return and clear the names of the top-level types changed since the last call."""
        changed, self._changed = self._changed, set()
        return changed

    def close(self) -> None:
        for root, subscription in self._subscriptions:
            root.unobserve(subscription)


def _length_problem(section_id: str, section: Any, live: ReportDocument) -> str | None:
    """Describe a section title or body that an update took past its limit, or return None.

    A title longer than ``MAX_TITLE_CHARS`` passes only if the live section has that title.

    pycrdt's ``len`` of a Text counts UTF-8 bytes in constant time, and a string never has
    more characters than UTF-8 bytes, so only a body over the limit in bytes is converted
    to count its characters. A body that was already over the limit may still shrink, so
    that it can be trimmed. Its previous length is read from the live document, which lags
    the shadow by any updates still being stored.
    """
    if not isinstance(section, Map):
        return None
    title = section.get("title")
    if isinstance(title, str) and len(title) > MAX_TITLE_CHARS:
        previous = live.section_view(section_id)
        if previous is None or previous["title"] != title:
            return (
                f"section {section_id!r} title would hold {len(title):,} characters, over the "
                f"limit of {MAX_TITLE_CHARS}; the change was not applied"
            )
    body = section.get("body")
    if not isinstance(body, Text) or len(body) <= MAX_BODY_CHARS:
        return None
    length = len(str(body))
    if length <= MAX_BODY_CHARS:
        return None
    previous = live.section_view(section_id)
    if previous is not None and length <= len(previous["body"]):
        return None
    return (
        f"section {section_id!r} would hold {length:,} characters, over the limit of "
        f"{MAX_BODY_CHARS:,}; the change was not applied"
    )


class ShadowValidator:
    """A copy of the live document on which client updates are tried first."""

    def __init__(self, live: ReportDocument) -> None:
        self._live = live
        self._rebuild()

    def _rebuild(self) -> None:
        shadow: Doc[Any] = Doc()
        shadow.apply_update(self._live.snapshot())
        self._shadow = ReportDocument(shadow)
        self._watcher = SectionWatcher(self._shadow)
        self._roots = _RootWatcher(self._shadow)
        # Top-level types that documents stored before this check may already contain stay
        # allowed, so that such reports remain editable.
        self._allowed_roots = ROOT_TYPES | set(shadow.keys())

    def check(self, update: bytes) -> None:
        """Apply ``update`` to the shadow and check what it changed.

        Raises:
            ProtocolError: the update does not integrate, or breaks the layout of a
                section, a comment, the metadata, the insights, the Monte Carlo analysis
                or the report metrics.
            UpdateRejectedError: the update takes a section body past ``MAX_BODY_CHARS``
                or creates a top-level shared type outside ``ROOT_TYPES``.
            In both cases the shadow is rebuilt from the live document, which never saw
            the update.
        """
        try:
            self._shadow.apply(update)
            sections, comments_added, comments_changed = self._watcher.take()
            unknown_roots = set(self._shadow.doc.keys()) - self._allowed_roots
            changed = [
                (section_id, self._shadow.sections_map().get(section_id))
                for section_id in sorted(sections)
            ]
            problems = (_section_problem(section_id, section) for section_id, section in changed)
            problem = next((found for found in problems if found is not None), None)
            if problem is None:
                problem = self._comments_problem(comments_added | comments_changed)
            changed_roots = self._roots.take()
            if problem is None:
                problem = self._roots_problem(changed_roots)
            too_long = (
                _length_problem(section_id, section, self._live) for section_id, section in changed
            )
            rejection = next((found for found in too_long if found is not None), None)
        except Exception as error:  # pycrdt raises its own types when integration fails
            self._recover()
            raise ProtocolError(f"the update cannot be applied to this report: {error}") from error
        if problem is not None:
            self._recover()
            raise ProtocolError(f"the update breaks the report layout: {problem}")
        if unknown_roots:
            self._recover()
            names = ", ".join(repr(name) for name in sorted(unknown_roots))
            raise UpdateRejectedError(
                f"the update creates top-level shared types {names}, which a report does not "
                f"have; its top-level types are {', '.join(sorted(ROOT_TYPES))}"
            )
        if rejection is not None:
            self._recover()
            raise UpdateRejectedError(rejection)

    def _comments_problem(self, comment_ids: set[str]) -> str | None:
        comments = self._shadow.doc.get(COMMENTS, type=Map)
        for comment_id in sorted(comment_ids):
            problem = _comment_problem(comment_id, comments.get(comment_id))
            if problem is not None:
                return problem
        return None

    def _roots_problem(self, names: set[str]) -> str | None:
        for name in sorted(names):
            problem = _root_problem(name, self._shadow)
            if problem is not None:
                return problem
        return None

    def accept(self, update: bytes) -> None:
        """Bring the shadow up to date with an update stored without ``check``."""
        self._shadow.apply(update)
        self._watcher.take()
        self._roots.take()

    def _recover(self) -> None:
        self._watcher.close()
        self._roots.close()
        logger.warning("rebuilding the shadow document after a rejected update")
        self._rebuild()
