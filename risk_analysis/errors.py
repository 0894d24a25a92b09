"""Errors of the CPM engine and the Monte Carlo simulation.

Every error keeps its fields as attributes and rebuilds itself from them when pickled, so it
crosses process boundaries (Ray tasks) with its details intact.
"""

from __future__ import annotations

from typing import Any


class RiskAnalysisError(Exception):
    """A schedule network or a simulation input that cannot be analysed."""


class NetworkError(RiskAnalysisError):
    """The schedule logic cannot be turned into an acyclic network.

    ``activity_codes`` lists the activities involved: the members of a cycle, or the
    identifier that a relationship refers to but no activity has.
    """

    def __init__(self, message: str, activity_codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.activity_codes = activity_codes

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.activity_codes))


class PsplibFormatError(RiskAnalysisError):
    """A PSPLIB single-mode file that does not follow the format; ``line`` is 1-based."""

    def __init__(self, message: str, source: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}, line {self.line}"
        return f"{where}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.source, self.line))


class SimulationInputError(RiskAnalysisError, ValueError):
    """A simulation setting, estimate or risk entry with a value that cannot be sampled."""

    def __init__(self, message: str, field: str, value: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value

    def __str__(self) -> str:
        return f"{self.field}={self.value!r}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.field, self.value))
