"""Errors of the export pipeline; each pickles its fields so it crosses Ray boundaries."""

from __future__ import annotations

from typing import Any


class ExportError(Exception):
    """Base class of every error the exports package raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,))


class OptionsError(ExportError):
    """The export request names an unknown section, palette or styling value."""


class LogoError(ExportError):
    """A logo is not a PNG, JPEG or SVG image, is too large, or cannot be cleaned."""


class LogoTooLargeError(LogoError):
    """A logo is over the configured size limit."""


class LogoTypeError(LogoError):
    """A logo is neither PNG, JPEG nor SVG."""


class UrlPolicyError(ExportError):
    """A logo URL was rejected or could not be fetched.

    ``reason`` is a stable slug. The policy decides ``invalid_url``, ``not_https``,
    ``credentials``, ``host_not_allowed``, ``unresolvable`` and ``address_not_public``
    before any connection is made; ``redirect``, ``http_status``, ``too_large``, ``timeout`` and
    ``fetch_failed`` come from the fetch of an allowed URL.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.reason))


class RenderError(ExportError):
    """A renderer failed to produce its file."""


class QualityCheckError(ExportError):
    """A produced file failed a check and was not released."""
