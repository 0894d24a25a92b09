"""The edit operations offered to a language model as tools, and their validation.

The model calls the same operations the documented instructions reach; each call's
arguments are validated with pydantic before anything is applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge.edits import EditKind, EditRequest
from knowledge.errors import ModelOutputError
from knowledge.llm import ToolCall


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    section_id: str = Field(min_length=1, max_length=64, description="Section to edit.")


class ReplaceText(_Arguments):
    old_text: str = Field(min_length=1, max_length=10_000, description="Exact phrase to find.")
    new_text: str = Field(max_length=10_000, description="Text to put in its place.")


class AppendParagraph(_Arguments):
    text: str = Field(min_length=1, max_length=10_000, description="Paragraph to add at the end.")


class RemoveParagraph(_Arguments):
    paragraph: int | None = Field(default=None, description="1-based number; -1 is the last.")
    containing: str | None = Field(
        default=None, max_length=1000, description="Remove the paragraph with this text."
    )


class RewriteSection(_Arguments):
    pass


class HighlightMilestone(_Arguments):
    milestone: str | None = Field(
        default=None, max_length=200, description="Code or name; omit for the latest achieved."
    )


_TOOLS: dict[EditKind, tuple[type[_Arguments], str]] = {
    EditKind.REPLACE_TEXT: (ReplaceText, "Replace a phrase in a section."),
    EditKind.APPEND_PARAGRAPH: (AppendParagraph, "Add a paragraph at the end of a section."),
    EditKind.REMOVE_PARAGRAPH: (RemoveParagraph, "Remove one paragraph of a section."),
    EditKind.REWRITE_SECTION: (
        RewriteSection,
        "Rewrite a section from the report's current figures.",
    ),
    EditKind.HIGHLIGHT_MILESTONE: (
        HighlightMilestone,
        "Add a sentence on a milestone, with its dates from the schedule, to a section.",
    ),
}


def tool_definitions() -> list[dict[str, Any]]:
    """Return the tools in the chat completions ``tools`` format."""
    return [
        {
            "type": "function",
            "function": {
                "name": kind.value,
                "description": description,
                "parameters": model.model_json_schema(),
            },
        }
        for kind, (model, description) in _TOOLS.items()
    ]


def edit_from_call(call: ToolCall) -> EditRequest:
    """Turn a tool call into an edit request.

    Raises:
        ModelOutputError: the tool is unknown or its arguments do not fit its schema.
    """
    try:
        kind = EditKind(call.name)
    except ValueError as error:
        known = ", ".join(kind.value for kind in EditKind)
        raise ModelOutputError(
            f"the model called an unknown tool {call.name!r}; known: {known}"
        ) from error
    model, _ = _TOOLS[kind]
    try:
        arguments = model.model_validate(dict(call.arguments))
    except ValidationError as error:
        raise ModelOutputError(
            f"the arguments of {call.name} are invalid: {error.errors()[0]['msg']} at "
            f"{'.'.join(str(part) for part in error.errors()[0]['loc'])}"
        ) from error
    return _request(kind, arguments)


def _request(kind: EditKind, arguments: _Arguments) -> EditRequest:
    values: Mapping[str, Any] = arguments.model_dump()
    section_id = values["section_id"]
    if isinstance(arguments, ReplaceText):
        return EditRequest(
            kind, section_id, old_text=arguments.old_text, new_text=arguments.new_text
        )
    if isinstance(arguments, AppendParagraph):
        return EditRequest(kind, section_id, new_text=arguments.text)
    if isinstance(arguments, RemoveParagraph):
        paragraph = arguments.paragraph if arguments.containing is None else None
        return EditRequest(
            kind,
            section_id,
            old_text=arguments.containing,
            paragraph=-1 if paragraph is None and arguments.containing is None else paragraph,
        )
    if isinstance(arguments, HighlightMilestone):
        return EditRequest(kind, section_id, milestone=arguments.milestone)
    return EditRequest(kind, section_id)
