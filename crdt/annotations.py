"""Comments and cursors anchored in section text, and the sections an update touched.

Positions given to and returned from these functions count Unicode characters, as a
plain JSON client does. pycrdt 0.14 indexes a Text by UTF-8 byte but a sticky index by
UTF-16 code unit, as Yjs does, so every position is converted at this boundary. Anchors
are Yjs sticky (relative) indexes, so a comment or cursor stays on its character while
others insert and delete text before it.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Assoc, Map, StickyIndex, Text

from crdt.document import COMMENTS, ReportDocument
from crdt.errors import CommentNotFoundError, DocumentError

_MAX_COMMENT_CHARS = 10_000


def _body(document: ReportDocument, section_id: str) -> Text:
    text: Text = document.section_map(section_id)["body"]
    return text


def _utf16_offset(text: str, position: int) -> int:
    if position < 0 or position > len(text):
        raise DocumentError(
            f"position {position} is outside the section text of {len(text)} characters"
        )
    return len(text[:position].encode("utf-16-le")) // 2


def _char_offset(text: str, utf16_offset: int) -> int:
    units = text.encode("utf-16-le")[: 2 * utf16_offset]
    return len(units.decode("utf-16-le", errors="ignore"))


def anchor(document: ReportDocument, section_id: str, position: int) -> bytes:
    """Return a sticky index at ``position`` (characters) of the section body.

    Inside the text the index sticks to the character at ``position``. At the end of the
    text it is an end position as Yjs makes one, so text appended later goes before it.
    """
    body = _body(document, section_id)
    text = str(body)
    offset = _utf16_offset(text, position)
    if position == len(text):
        return _end_index(body).encode()
    return StickyIndex.new(body, offset, Assoc.AFTER).encode()


def _end_index(body: Text) -> StickyIndex:
    """Return the Yjs end position of ``body``: the text's own id, no item, and assoc 0."""
    return StickyIndex.from_json({"type": _text_id(body), "assoc": int(Assoc.AFTER)}, body)


def _text_id(body: Text) -> dict[str, int]:
    """Return the id of the item that stores ``body`` in its parent map.

    pycrdt 0.14.13 exposes no item ids, and panics on a sticky index after the last
    character. Its index before offset 0 names the text itself and no item, so the id is
    read from that.
    """
    text_id: dict[str, int] = StickyIndex.new(body, 0, Assoc.BEFORE).to_json()["type"]
    return text_id


def resolve_anchor(document: ReportDocument, section_id: str, encoded: bytes) -> int:
    """Return the current character position of a sticky index made by ``anchor``.

    Raises:
        DocumentError: the section is gone, or its body is no longer the text the index
            was made in.
    """
    body = _body(document, section_id)
    try:
        sticky = StickyIndex.decode(encoded, body)
        scope = sticky.to_json()
        if "type" in scope and "item" not in scope:
            return _resolve_start_or_end(body, scope, section_id)
        offset = sticky.get_index()
    except BaseException as error:
        # pycrdt 0.14.13 panics (Option::unwrap on None in sticky_index.rs) when a Yjs
        # client replaced the body, so the index names an item of a deleted text. pyo3
        # raises the panic as PanicException, a BaseException that cannot be imported,
        # so it is recognised by name and everything else propagates.
        if type(error).__name__ != "PanicException":
            raise
        raise _stale_anchor(section_id) from None
    return _char_offset(str(body), offset)


def _resolve_start_or_end(body: Text, scope: dict[str, Any], section_id: str) -> int:
    """Return the position of an index that names a text and no item, as Yjs reads one.

    Such an index is the end of the text when its assoc is 0 or more, and its start
    otherwise. pycrdt 0.14.13 would count the end in UTF-8 bytes, so it is computed here.
    """
    if scope["type"] != _text_id(body):
        raise _stale_anchor(section_id)
    return len(str(body)) if scope.get("assoc", 0) >= 0 else 0


def _stale_anchor(section_id: str) -> DocumentError:
    return DocumentError(f"the anchor no longer points into the body of section {section_id!r}")


def add_comment(
    document: ReportDocument,
    *,
    comment_id: str,
    section_id: str,
    content: str,
    user: str,
    created_at: str,
    position: int | None = None,
) -> dict[str, Any]:
    """Add a comment anchored to a section (and a position in it, when given)."""
    if not content.strip():
        raise DocumentError("a comment needs some text")
    if len(content) > _MAX_COMMENT_CHARS:
        raise DocumentError(f"a comment holds at most {_MAX_COMMENT_CHARS} characters")
    fields: dict[str, Any] = {
        "comment_id": comment_id,
        "section_id": section_id,
        "content": content,
        "user_id": user,
        "created_at": created_at,
        "resolved": False,
    }
    if position is not None:
        fields["anchor"] = anchor(document, section_id, position).hex()
    else:
        document.section_map(section_id)  # raises SectionNotFoundError for an unknown section
    comments = document.doc.get(COMMENTS, type=Map)
    with document.doc.transaction():
        comments[comment_id] = Map(fields)
    return comment_view(document, comment_id)


def resolve_comment(
    document: ReportDocument, comment_id: str, *, user: str, resolved_at: str
) -> dict[str, Any]:
    """Mark a comment resolved by ``user``.

    A comment resolved already keeps who resolved it and when.
    """
    comment = _comment(document, comment_id)
    if comment.get("resolved"):
        return comment_view(document, comment_id)
    with document.doc.transaction():
        comment["resolved"] = True
        comment["resolved_by"] = user
        comment["resolved_at"] = resolved_at
    return comment_view(document, comment_id)


def _comment(document: ReportDocument, comment_id: str) -> Map[Any]:
    comment = document.doc.get(COMMENTS, type=Map).get(comment_id)
    if not isinstance(comment, Map):
        raise CommentNotFoundError(comment_id)
    return comment


def comment_view(document: ReportDocument, comment_id: str) -> dict[str, Any]:
    """Return a comment with its anchor turned into the current character position."""
    values = dict(_comment(document, comment_id).to_py() or {})
    encoded = values.pop("anchor", None)
    values["position"] = None
    if encoded:
        try:
            values["position"] = resolve_anchor(
                document, values["section_id"], bytes.fromhex(encoded)
            )
        except (DocumentError, ValueError):
            values["position"] = None
    return values


def list_comments(document: ReportDocument, section_id: str | None = None) -> list[dict[str, Any]]:
    comments = document.doc.get(COMMENTS, type=Map)
    views = [comment_view(document, comment_id) for comment_id in comments]
    if section_id is not None:
        views = [view for view in views if view["section_id"] == section_id]
    return sorted(views, key=lambda view: (view["created_at"], view["comment_id"]))


class SectionWatcher:
    """Collects what changed while it watches a document: section ids and comment ids.

    ``take`` returns and clears what was collected, so one watcher serves a document's
    whole life.
    """

    def __init__(self, document: ReportDocument) -> None:
        self._sections_changed: set[str] = set()
        self._comments_added: set[str] = set()
        self._comments_changed: set[str] = set()
        self._sections = document.sections_map()
        self._comments = document.doc.get(COMMENTS, type=Map)
        self._section_subscription = self._sections.observe_deep(self._on_sections)
        self._comment_subscription = self._comments.observe_deep(self._on_comments)

    def _on_sections(self, events: list[Any]) -> None:
        for event in events:
            path = list(event.path)
            if path:
                self._sections_changed.add(str(path[0]))
            else:
                self._sections_changed.update(str(key) for key in event.keys)

    def _on_comments(self, events: list[Any]) -> None:
        for event in events:
            path = list(event.path)
            if path:
                self._comments_changed.add(str(path[0]))
                continue
            for key, change in event.keys.items():
                if change.get("action") == "add":
                    self._comments_added.add(str(key))
                else:
                    self._comments_changed.add(str(key))

    def take(self) -> tuple[set[str], set[str], set[str]]:
        """Return and clear (changed sections, added comments, otherwise changed comments)."""
        taken = (self._sections_changed, self._comments_added, self._comments_changed)
        self._sections_changed, self._comments_added, self._comments_changed = set(), set(), set()
        return taken

    def close(self) -> None:
        self._sections.unobserve(self._section_subscription)
        self._comments.unobserve(self._comment_subscription)
