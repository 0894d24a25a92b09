"""Errors of retrieval and of the language model client; all derive from KnowledgeError."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base class of every error raised by the knowledge package."""


class DocumentFormatError(KnowledgeError):
    """An uploaded document cannot be read as text, Markdown or PDF."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"document {name!r} cannot be read: {detail}")
        self.name = name
        self.detail = detail

    def __reduce__(self) -> tuple[type[DocumentFormatError], tuple[str, str]]:
        return (type(self), (self.name, self.detail))


class LanguageModelError(KnowledgeError):
    """The language model could not be used; the caller keeps its deterministic text."""


class ModelNotConfiguredError(LanguageModelError):
    def __init__(self) -> None:
        super().__init__("no language model is configured; set PMR_LLM_BASE_URL and PMR_LLM_MODEL")


class ModelUnavailableError(LanguageModelError):
    """The endpoint timed out, refused the connection or answered with a server error."""


class ModelOutputError(LanguageModelError):
    """The model answered, but not with the structured output that was asked for."""
