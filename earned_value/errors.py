"""Errors of the earned value package."""

from __future__ import annotations


class EarnedValueError(Exception):
    """An earned value or earned schedule calculation failed."""


class InvalidFigureError(EarnedValueError, ValueError):
    """An input figure (a cost, a percent complete, a period series) that cannot be used."""


class TimePhasingError(EarnedValueError):
    """A budget or an instant that cannot be placed on the working-time calendar."""
