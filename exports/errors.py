"""Errors of the export pipeline; each pickles its message so it crosses Ray boundaries."""

from __future__ import annotations


class ExportError(Exception):
    """Base class of every error the exports package raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[type[ExportError], tuple[str]]:
        return (type(self), (self.message,))


class OptionsError(ExportError):
    """The export request names an unknown section, palette or styling value."""


class LogoError(ExportError):
    """A logo is not a PNG, JPEG or SVG image, is too large, or cannot be cleaned."""


class UrlPolicyError(ExportError):
    """A URL was rejected: not HTTPS, not on the allow-list, private, or a redirect."""


class RenderError(ExportError):
    """A renderer failed to produce its file."""


class QualityCheckError(ExportError):
    """A produced file failed a check and was not released."""
