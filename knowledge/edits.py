"""The edit operations chat offers, and how the text operations change a section body.

Rewriting a section from the figures and highlighting a milestone need the report's facts,
so the caller computes their text; replacing a phrase and appending or removing a
paragraph are applied here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from knowledge.errors import KnowledgeError


class EditKind(StrEnum):
    REPLACE_TEXT = "replace_text"
    APPEND_PARAGRAPH = "append_paragraph"
    REMOVE_PARAGRAPH = "remove_paragraph"
    REWRITE_SECTION = "rewrite_section"
    HIGHLIGHT_MILESTONE = "highlight_milestone"

    @property
    def change_type(self) -> str:
        """The ``change_type`` the chat response and the change log show."""
        return _CHANGE_TYPES[self]


_CHANGE_TYPES = {
    EditKind.REPLACE_TEXT: "content_update",
    EditKind.APPEND_PARAGRAPH: "paragraph_added",
    EditKind.REMOVE_PARAGRAPH: "paragraph_removed",
    EditKind.REWRITE_SECTION: "section_rewritten",
    EditKind.HIGHLIGHT_MILESTONE: "milestone_highlighted",
}


class EditError(KnowledgeError):
    """An edit cannot be applied to the section as it stands; the message says why."""


@dataclass(frozen=True, slots=True)
class EditRequest:
    """One change to one section.

    ``old_text`` is the phrase to replace, or for removal the text the paragraph contains;
    ``paragraph`` numbers paragraphs from 1, -1 meaning the last; ``milestone`` is a code
    or name, None meaning the most recently achieved milestone.
    """

    kind: EditKind
    section_id: str
    old_text: str | None = None
    new_text: str | None = None
    paragraph: int | None = None
    milestone: str | None = None


def paragraphs(body: str) -> list[str]:
    return [part for part in re.split(r"\n\s*\n", body) if part.strip()]


def apply_text_edit(body: str, request: EditRequest, *, max_chars: int | None = None) -> str:
    """Return ``body`` with a replace, append or remove request applied.

    ``max_chars`` bounds the length of the result. A replacement is measured before the new
    body is built, because a short phrase that occurs often, replaced by a long text, would
    otherwise build a string of gigabytes before any later check could reject it.

    Raises:
        EditError: the phrase or paragraph is not in the section, text is missing, or the
            result would be longer than ``max_chars``.
    """
    if request.kind is EditKind.REPLACE_TEXT:
        return _replace(body, request, max_chars)
    if request.kind is EditKind.APPEND_PARAGRAPH:
        text = (request.new_text or "").strip()
        if not text:
            raise EditError("there is no paragraph text to append; give it after a colon")
        appended = f"{body.rstrip()}\n\n{text}" if body.strip() else text
        _check_length(request.section_id, len(appended), max_chars)
        return appended
    if request.kind is EditKind.REMOVE_PARAGRAPH:
        return _remove(body, request)
    raise EditError(f"{request.kind.value} is not a text edit")


def _replace(body: str, request: EditRequest, max_chars: int | None) -> str:
    old, new = request.old_text or "", request.new_text
    if not old or new is None:
        raise EditError("a replacement needs the phrase to find and the text to put instead")
    if old in body:
        count = body.count(old)
        _check_length(request.section_id, len(body) + count * (len(new) - len(old)), max_chars)
        return body.replace(old, new)
    pattern = re.compile(re.escape(old), re.IGNORECASE)
    matched = [match.end() - match.start() for match in pattern.finditer(body)]
    if matched:
        length = len(body) - sum(matched) + len(matched) * len(new)
        _check_length(request.section_id, length, max_chars)
        return pattern.sub(lambda _: new, body)
    raise EditError(f"the phrase {old!r} is not in section {request.section_id}")


def _check_length(section_id: str, length: int, max_chars: int | None) -> None:
    if max_chars is not None and length > max_chars:
        raise EditError(
            f"the edit would make section {section_id} {length:,} characters long, past the "
            f"limit of {max_chars:,}; replace a longer phrase or fewer occurrences"
        )


def _remove(body: str, request: EditRequest) -> str:
    parts = paragraphs(body)
    if not parts:
        raise EditError(f"section {request.section_id} has no paragraph to remove")
    if request.old_text:
        needle = request.old_text.lower()
        matches = [i for i, part in enumerate(parts) if needle in part.lower()]
        if not matches:
            raise EditError(
                f"no paragraph of section {request.section_id} contains {request.old_text!r}"
            )
        index = matches[0]
    else:
        number = request.paragraph if request.paragraph is not None else -1
        index = number - 1 if number > 0 else len(parts) + number
        if not 0 <= index < len(parts):
            raise EditError(
                f"section {request.section_id} has {len(parts)} paragraphs; "
                f"paragraph {number} does not exist"
            )
    del parts[index]
    return "\n\n".join(part.strip("\n") for part in parts)
