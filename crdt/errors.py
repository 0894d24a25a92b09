"""Errors of the report document layer."""

from __future__ import annotations


class DocumentError(Exception):
    """A report document operation failed."""


class SectionNotFoundError(DocumentError):
    """A section id that the document does not contain."""

    def __init__(self, section_id: str, known: list[str]) -> None:
        super().__init__(section_id, known)
        self.section_id = section_id
        self.known = known

    def __str__(self) -> str:
        choices = ", ".join(self.known) or "none"
        return f"section {self.section_id!r} not found; the report has: {choices}"


class ProtocolError(DocumentError):
    """A malformed y-websocket frame or awareness update."""


class UpdateRejectedError(DocumentError):
    """A well-formed client update that breaks a content rule of the report, such as a limit."""


class CommentNotFoundError(DocumentError):
    """A comment id that the document does not contain."""

    def __init__(self, comment_id: str) -> None:
        super().__init__(comment_id)
        self.comment_id = comment_id

    def __str__(self) -> str:
        return f"comment {self.comment_id!r} not found"
