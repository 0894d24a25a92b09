"""Passages: the retrievable pieces of a project's documents, each with where it came from.

Activity names and notes, the risk register and earlier reports come from the stored project
and report documents; uploaded files arrive already split (see extract.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from schedules.model import Project

# Passages longer than this are split at paragraph, then sentence boundaries.
MAX_PASSAGE_CHARS = 1200
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Every character that str.split() splits at, mapped to a space. None lies above U+3000
# (the ideographic space), so the scan stops there instead of costing every process that
# imports this module a pass over all of Unicode.
_WHITESPACE_TO_SPACE = {c: " " for c in range(0x3001) if chr(c).isspace()}


@dataclass(frozen=True, slots=True)
class Passage:
    """A piece of text to retrieve; ``passage_id`` is stable for the same source and place."""

    passage_id: str
    source: str  # activity, risk, report, document
    title: str
    locator: str
    text: str

    def citation(self) -> dict[str, str]:
        """The passage as an answer cites it: id, source, title, locator and an excerpt."""
        excerpt = self.text if len(self.text) <= 300 else self.text[:297] + "..."
        return {
            "passage_id": self.passage_id,
            "source": self.source,
            "title": self.title,
            "locator": self.locator,
            "excerpt": excerpt,
        }


def split_text(text: str, max_chars: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Split ``text`` into pieces of at most ``max_chars`` at paragraph or sentence ends."""
    return list(iter_split_text(text, max_chars))


def iter_split_text(text: str, max_chars: int = MAX_PASSAGE_CHARS) -> Iterator[str]:
    """Yield the pieces of ``split_text`` one by one, so that a caller can stop early.

    No list of every paragraph, sentence or word is built, so the memory beyond the pieces
    taken stays within a few copies of ``text``.
    """
    for paragraph in _split_at(_PARAGRAPH_BREAK, text):
        paragraph = _collapse_whitespace(paragraph)
        if not paragraph:
            continue
        if len(paragraph) <= max_chars:
            yield paragraph
            continue
        current = ""
        for sentence in _split_at(_SENTENCE_END, paragraph):
            if len(sentence) > max_chars:
                if current:
                    yield current
                    current = ""
                # Cut whole pieces by index, because slicing the rest off again and again
                # copies a long run without sentence ends in quadratic time.
                end = (len(sentence) - 1) // max_chars * max_chars
                yield from (sentence[i : i + max_chars] for i in range(0, end, max_chars))
                sentence = sentence[end:]
            if current and len(current) + 1 + len(sentence) > max_chars:
                yield current
                current = sentence
            else:
                current = f"{current} {sentence}".strip()
        if current:
            yield current


def _collapse_whitespace(text: str) -> str:
    """Return ``" ".join(text.split())`` without building the list of words."""
    text = text.translate(_WHITESPACE_TO_SPACE)
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip()


def _split_at(separator: re.Pattern[str], text: str) -> Iterator[str]:
    """Yield what ``separator.split(text)`` returns, one part at a time."""
    start = 0
    for match in separator.finditer(text):
        yield text[start : match.start()]
        start = match.end()
    yield text[start:]


def project_passages(project: Project) -> list[Passage]:
    """Return a passage per activity (code, name and notes) and per risk register entry."""
    passages = [
        Passage(
            passage_id=f"activity:{activity.code}",
            source="activity",
            title=f"{activity.code} {activity.name}",
            locator=f"activity {activity.code}",
            text=" ".join(part for part in (activity.code, activity.name, activity.notes) if part),
        )
        for activity in project.activities
    ]
    for risk in project.risks:
        owner = f" Owner: {risk.owner}." if risk.owner else " No owner."
        due = f" Response due {risk.due_date.isoformat()}." if risk.due_date else ""
        passages.append(
            Passage(
                passage_id=f"risk:{risk.id}",
                source="risk",
                title=f"{risk.id} {risk.title}",
                locator=f"risk register {risk.id}",
                text=f"{risk.id} {risk.title}. {risk.description} Status: {risk.status}."
                f"{owner}{due}",
            )
        )
    return passages


def report_of(passage: Passage) -> str | None:
    """Return the id of the report a passage comes from, or None for other sources."""
    if passage.source != "report":
        return None
    return passage.passage_id.split(":", 2)[1]


def report_passages(
    report_id: str, report_month: str, sections: Iterable[Mapping[str, Any]]
) -> list[Passage]:
    """Return the passages of an earlier report's sections."""
    passages = []
    for section in sections:
        body = str(section.get("body") or "")
        for number, piece in enumerate(split_text(body), start=1):
            passages.append(
                Passage(
                    passage_id=f"report:{report_id}:{section['section_id']}:{number}",
                    source="report",
                    title=f"{report_month} report, {section.get('title', section['section_id'])}",
                    locator=f"report {report_month}, section {section['section_id']}, "
                    f"paragraph {number}",
                    text=piece,
                )
            )
    return passages
