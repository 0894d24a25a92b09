"""The chat instructions understood without a language model.

- ``replace "old phrase" with "new phrase" [in SECTION]``
- ``append a paragraph [to SECTION]: TEXT`` (also ``add a paragraph ...``)
- ``remove paragraph N [from SECTION]``, ``remove the last paragraph``, or
  ``remove the paragraph containing "phrase"``
- ``rewrite SECTION from the current figures`` (also ``regenerate`` or ``refresh``)
- ``highlight milestone CODE-OR-NAME [in SECTION]``, or ``highlight the recent milestone``

A section is named by its id (``executive_summary``) or its title (``Executive Summary``);
without one, the request's current section is edited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from knowledge.edits import EditKind, EditRequest

_QUOTE = r"[\"'“”‘’]"
_SECTION = r"(?:\s+(?:in|of|to|from)\s+(?:the\s+)?(?P<section>[\w ]+?))?"
_REPLACE = re.compile(
    rf"^(?:please\s+)?(?:replace|change)\s+{_QUOTE}(?P<old>.+?){_QUOTE}\s+(?:with|to|by)\s+"
    rf"{_QUOTE}(?P<new>.*?){_QUOTE}{_SECTION}\s*\.?$",
    re.I | re.S,
)
_APPEND = re.compile(
    r"^(?:please\s+)?(?:append|add)\s+(?:a\s+|the\s+|this\s+)?(?:new\s+)?paragraph"
    r"(?:\s+(?:to|in)\s+(?:the\s+)?(?P<section>[\w ]+?))?\s*:\s*(?P<text>.+)$",
    re.I | re.S,
)
_REMOVE = re.compile(
    r"^(?:please\s+)?(?:remove|delete)\s+(?:the\s+)?"
    r"(?:(?P<last>last)\s+paragraph|paragraph\s+(?P<number>\d+)|paragraph\s+(?:containing|"
    rf"that\s+mentions|about)\s+{_QUOTE}(?P<phrase>.+?){_QUOTE})"
    r"(?:\s+(?:from|of|in)\s+(?:the\s+)?(?P<section>[\w ]+?))?\s*\.?$",
    re.I | re.S,
)
_REWRITE = re.compile(
    r"^(?:please\s+)?(?:rewrite|regenerate|refresh|redo)\s+(?:the\s+)?(?P<section>[\w ]+?)"
    r"(?:\s+section)?\s+(?:from|with|using)\s+(?:the\s+)?(?:current|latest)\s+figures\s*\.?$",
    re.I,
)
_HIGHLIGHT = re.compile(
    r"^(?:please\s+)?(?:update\s+(?:the\s+)?(?P<target>[\w ]+?)\s+to\s+)?"
    r"(?:add\s+a\s+)?highlight(?:\s+of)?\s+(?:the\s+)?"
    r"(?:(?P<recent>recent|latest|last)\s+milestone(?:\s+achievement)?|"
    r"milestone\s+(?P<milestone>.+?))"
    r"(?:\s+(?:in|to)\s+(?:the\s+)?(?P<section>[\w ]+?))?\s*\.?$",
    re.I,
)


class InstructionError(ValueError):
    """The message is an instruction, but it names no section that exists."""


@dataclass(frozen=True, slots=True)
class SectionNames:
    """The report's sections: ids to titles, and the one the user is looking at."""

    titles: Mapping[str, str]
    current: str | None = None

    def resolve(self, named: str | None) -> str:
        if named:
            wanted = named.strip().lower().removesuffix(" section").strip()
            for section_id, title in self.titles.items():
                if wanted in (section_id.lower(), title.lower(), section_id.replace("_", " ")):
                    return section_id
            raise InstructionError(
                f"the report has no section {named.strip()!r}; its sections are "
                + ", ".join(self.titles)
            )
        if self.current is None:
            raise InstructionError(
                "say which section to edit (for example 'in the executive summary') or send "
                "context.current_section"
            )
        if self.current not in self.titles:
            raise InstructionError(f"the current section {self.current!r} is not in the report")
        return self.current


def parse_instruction(message: str, sections: SectionNames) -> EditRequest | None:
    """Return the edit a message asks for, or None when it is not a known instruction.

    Raises:
        InstructionError: the instruction names a section the report does not have.
    """
    text = message.strip()
    if match := _REPLACE.match(text):
        return EditRequest(
            EditKind.REPLACE_TEXT,
            sections.resolve(match["section"]),
            old_text=match["old"],
            new_text=match["new"],
        )
    if match := _APPEND.match(text):
        return EditRequest(
            EditKind.APPEND_PARAGRAPH,
            sections.resolve(match["section"]),
            new_text=match["text"].strip().strip("\"'“”"),
        )
    if match := _REMOVE.match(text):
        number = int(match["number"]) if match["number"] else None
        return EditRequest(
            EditKind.REMOVE_PARAGRAPH,
            sections.resolve(match["section"]),
            old_text=match["phrase"],
            paragraph=-1 if match["last"] else number,
        )
    if match := _REWRITE.match(text):
        return EditRequest(EditKind.REWRITE_SECTION, sections.resolve(match["section"]))
    if match := _HIGHLIGHT.match(text):
        milestone = None if match["recent"] else match["milestone"].strip()
        return EditRequest(
            EditKind.HIGHLIGHT_MILESTONE,
            sections.resolve(match["section"] or match["target"]),
            milestone=milestone,
        )
    return None
