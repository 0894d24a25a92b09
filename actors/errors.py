"""Errors raised by report actors; they cross Ray boundaries, so they pickle their fields."""

from __future__ import annotations

from ray.exceptions import RayTaskError


class ActorError(Exception):
    """A report actor refused or failed an operation."""


class ReportUnloadingError(ActorError):
    """The actor is unloading; the caller retries and reaches a freshly loaded one."""

    def __init__(self, report_id: str) -> None:
        super().__init__(report_id)
        self.report_id = report_id

    def __str__(self) -> str:
        return f"report {self.report_id} is unloading; retry to reach a freshly loaded actor"


class ReportLoadError(ActorError):
    """The report could not be loaded into its actor; the message names the cause."""


class UnknownConnectionError(ActorError):
    """A frame arrived for a connection the actor does not know (it restarted or dropped it)."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(connection_id)
        self.connection_id = connection_id

    def __str__(self) -> str:
        return f"connection {self.connection_id} is unknown to the report actor; reconnect"


class DuplicateConnectionError(ActorError):
    """A replica tried to register a connection id that is registered already."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(connection_id)
        self.connection_id = connection_id

    def __str__(self) -> str:
        return (
            f"connection {self.connection_id} is already registered with the report actor; "
            "register the socket under a new id"
        )


def root_cause(error: BaseException) -> BaseException:
    """Return the error a Ray task or actor call raised, without Ray's wrapping.

    A failed remote call surfaces as a RayTaskError whose text is the remote traceback;
    users need the original error's one-line message instead.
    """
    seen = 0
    while isinstance(error, RayTaskError) and seen < 10:
        cause = getattr(error, "cause", None)
        if not isinstance(cause, BaseException):
            break
        error = cause
        seen += 1
    return error


def describe(error: BaseException) -> str:
    """Return ``error`` as one plain line: the root cause's type and message."""
    cause = root_cause(error)
    text = " ".join(str(cause).split())
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__
