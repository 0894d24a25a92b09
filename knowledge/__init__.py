"""Retrieval over project documents, the language model client and chat edit operations.

Pure Python plus storage: no Ray. Numbers in model-written text are checked against the
computed figures (numbers.py) before the text is used.

The names below load on first use, so that a process importing one module of the package,
such as a report actor's, does not load the retrieval index or the PDF reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from config.lazy import lazy_attributes

if TYPE_CHECKING:
    from knowledge.edits import EditError, EditKind, EditRequest, apply_text_edit, paragraphs
    from knowledge.errors import (
        DocumentFormatError,
        KnowledgeError,
        LanguageModelError,
        ModelNotConfiguredError,
        ModelOutputError,
        ModelUnavailableError,
    )
    from knowledge.extraction import extract
    from knowledge.index import Hit, PassageIndex
    from knowledge.instructions import InstructionError, SectionNames, parse_instruction
    from knowledge.library import ProjectLibrary
    from knowledge.llm import LanguageModel, ModelConfig, ModelReply, ToolCall
    from knowledge.numbers import FigureSet, find_figures
    from knowledge.passages import Passage, project_passages, report_passages, split_text
    from knowledge.tools import edit_from_call, tool_definitions

__all__ = [
    "DocumentFormatError",
    "EditError",
    "EditKind",
    "EditRequest",
    "FigureSet",
    "Hit",
    "InstructionError",
    "KnowledgeError",
    "LanguageModel",
    "LanguageModelError",
    "ModelConfig",
    "ModelNotConfiguredError",
    "ModelOutputError",
    "ModelReply",
    "ModelUnavailableError",
    "Passage",
    "PassageIndex",
    "ProjectLibrary",
    "SectionNames",
    "ToolCall",
    "apply_text_edit",
    "edit_from_call",
    "extract",
    "find_figures",
    "paragraphs",
    "parse_instruction",
    "project_passages",
    "report_passages",
    "split_text",
    "tool_definitions",
]

_HOMES = {
    "DocumentFormatError": "knowledge.errors",
    "EditError": "knowledge.edits",
    "EditKind": "knowledge.edits",
    "EditRequest": "knowledge.edits",
    "FigureSet": "knowledge.numbers",
    "Hit": "knowledge.index",
    "InstructionError": "knowledge.instructions",
    "KnowledgeError": "knowledge.errors",
    "LanguageModel": "knowledge.llm",
    "LanguageModelError": "knowledge.errors",
    "ModelConfig": "knowledge.llm",
    "ModelNotConfiguredError": "knowledge.errors",
    "ModelOutputError": "knowledge.errors",
    "ModelReply": "knowledge.llm",
    "ModelUnavailableError": "knowledge.errors",
    "Passage": "knowledge.passages",
    "PassageIndex": "knowledge.index",
    "ProjectLibrary": "knowledge.library",
    "SectionNames": "knowledge.instructions",
    "ToolCall": "knowledge.llm",
    "apply_text_edit": "knowledge.edits",
    "edit_from_call": "knowledge.tools",
    "extract": "knowledge.extraction",
    "find_figures": "knowledge.numbers",
    "paragraphs": "knowledge.edits",
    "parse_instruction": "knowledge.instructions",
    "project_passages": "knowledge.passages",
    "report_passages": "knowledge.passages",
    "split_text": "knowledge.passages",
    "tool_definitions": "knowledge.tools",
}


__getattr__ = lazy_attributes(__name__, _HOMES)
