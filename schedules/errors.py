"""Errors raised while importing a schedule file.

Every error carries a stable ``code`` that the HTTP layer and clients can branch on, and a
``detail`` sentence that names the problem and what the user can do about it.
"""

from __future__ import annotations

from typing import Any


class ScheduleImportError(Exception):
    """A schedule file could not be imported, so nothing of it was kept.

    Codes: ``file_too_large``, ``empty_file``, ``unsupported_format``, ``not_xer``,
    ``truncated``, ``invalid_xer``, ``invalid_xml``, ``xml_entities_forbidden``,
    ``invalid_json``, ``invalid_project``, ``invalid_values`` (a number that is not finite
    or is out of range, or a negative activity budget).
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Ray pickles exceptions across workers; rebuild from the fields, not from args.
        return (type(self), (self.code, self.detail))


class UnsupportedFormatError(ScheduleImportError):
    """The bytes are not a schedule format this server reads, or exceed the size limit."""


class MalformedScheduleError(ScheduleImportError):
    """The file is in a supported format but is damaged: truncated, badly formed or unsafe."""


class InvalidProjectError(ScheduleImportError):
    """The file parsed, but its content breaks a rule of the format (a field, a reference)."""

    def __init__(self, detail: str, code: str = "invalid_project") -> None:
        super().__init__(code, detail)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.detail, self.code))
