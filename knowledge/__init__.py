"""Retrieval over project documents, the language model client and chat edit operations.

Pure Python plus storage: no Ray. Numbers in model-written text are checked against the
computed figures (numbers.py) before the text is used.
"""

from knowledge.edits import EditError, EditKind, EditRequest, apply_text_edit, paragraphs
from knowledge.errors import (
    DocumentFormatError,
    KnowledgeError,
    LanguageModelError,
    ModelNotConfiguredError,
    ModelOutputError,
    ModelUnavailableError,
)
from knowledge.extract import extract
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
