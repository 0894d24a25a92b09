"""The headline figures every export prints, each read from a fixed place in the report.

The checks read each figure back from the produced file and compare it with the value at
the same place in the report document, so the list below is what "the report's key
metrics" means for an export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crdt.document import level_confidence
from exports.numbers import FigureKind, format_figure


@dataclass(frozen=True, slots=True)
class FigureSpec:
    """Where a headline figure lives in the report document and how it is printed."""

    key: str
    label: str
    path: tuple[str, ...]
    kind: FigureKind


@dataclass(frozen=True, slots=True)
class Figure:
    """A headline figure with the report's value and its printed text."""

    key: str
    label: str
    kind: FigureKind
    value: float | str | None
    text: str


_EV = ("metrics", "earned_value", "metrics")
_KEY = ("metrics", "key_metrics")
_MC_COST = ("monte_carlo", "cost", "percentiles")
_MC_FINISH = ("monte_carlo", "schedule_completion")

KEY_FIGURES = (
    FigureSpec("bac", "Budget at completion (BAC)", (*_EV, "bac"), FigureKind.MONEY),
    FigureSpec("pv", "Planned value (PV)", (*_EV, "pv"), FigureKind.MONEY),
    FigureSpec("ev", "Earned value (EV)", (*_EV, "ev"), FigureKind.MONEY),
    FigureSpec("ac", "Actual cost (AC)", (*_EV, "ac"), FigureKind.MONEY),
    FigureSpec("cv", "Cost variance (CV)", (*_EV, "cv"), FigureKind.MONEY),
    FigureSpec("sv", "Schedule variance (SV)", (*_EV, "sv"), FigureKind.MONEY),
    FigureSpec(
        "cpi", "Cost performance index (CPI)", (*_KEY, "cost_performance"), FigureKind.INDEX
    ),
    FigureSpec(
        "spi",
        "Schedule performance index (SPI)",
        (*_KEY, "schedule_performance"),
        FigureKind.INDEX,
    ),
    FigureSpec(
        "spi_t",
        "Earned schedule SPI(t)",
        ("metrics", "earned_value", "earned_schedule", "spi_t"),
        FigureKind.INDEX,
    ),
    FigureSpec(
        "budget_utilization",
        "Budget utilisation (AC/BAC)",
        (*_KEY, "budget_utilization"),
        FigureKind.PERCENT,
    ),
    FigureSpec(
        "eac",
        "Estimate at completion (EAC, CPI)",
        (*_EV, "forecasts", "cpi", "eac"),
        FigureKind.MONEY,
    ),
    FigureSpec(
        "vac",
        "Variance at completion (VAC, CPI)",
        (*_EV, "forecasts", "cpi", "vac"),
        FigureKind.MONEY,
    ),
    FigureSpec("tcpi", "To-complete index (TCPI, BAC)", (*_EV, "tcpi_to_bac"), FigureKind.INDEX),
    FigureSpec("risk_score", "Risk score", (*_KEY, "risk_score"), FigureKind.INDEX),
)

_MC_SCHEDULE = ("monte_carlo", "schedule")

# The spread of the Monte Carlo outcomes, after the percentiles.
SPREAD_FIGURES = (
    FigureSpec(
        "cost_mean", "Mean cost at completion", ("monte_carlo", "cost", "mean"), FigureKind.MONEY
    ),
    FigureSpec(
        "cost_standard_deviation",
        "Standard deviation of cost at completion",
        ("monte_carlo", "cost", "standard_deviation"),
        FigureKind.MONEY,
    ),
    FigureSpec(
        "finish_mean_hours",
        "Mean finish, working hours after the data date",
        (*_MC_SCHEDULE, "mean_hours"),
        FigureKind.NUMBER,
    ),
    FigureSpec(
        "finish_standard_deviation_hours",
        "Standard deviation of finish, working hours",
        (*_MC_SCHEDULE, "standard_deviation_hours"),
        FigureKind.NUMBER,
    ),
    FigureSpec(
        "merge_bias_hours",
        "Merge bias (median finish minus CPM finish), working hours",
        (*_MC_SCHEDULE, "merge_bias_hours"),
        FigureKind.NUMBER,
    ),
)

# Monte Carlo percentiles: one figure per confidence level of the analysis, in order.
_PERCENTILE_BLOCKS = (
    ("cost", "cost at completion", _MC_COST, FigureKind.MONEY),
    ("finish", "finish date", _MC_FINISH, FigureKind.DATE),
)


class _Absent:
    """Marks a path whose container is missing, as opposed to a value that is None."""


ABSENT = _Absent()


def lookup(document: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """Return the value at ``path``: None where the key is missing, ABSENT where a container is."""
    node: Any = document
    for depth, key in enumerate(path):
        if not isinstance(node, Mapping):
            return ABSENT
        if key not in node:
            return None if depth == len(path) - 1 else ABSENT
        node = node[key]
    return node


def currency_of(document: Mapping[str, Any]) -> str:
    value = lookup(document, ("metrics", "earned_value", "currency"))
    return value if isinstance(value, str) and value else "USD"


def key_figures(document: Mapping[str, Any]) -> tuple[Figure, ...]:
    """Return the headline figures the report has; a figure whose block is absent is left out.

    A report generated without a Monte Carlo analysis has no percentiles, so those lines are
    dropped, while a figure the report stores as None prints as the missing marker.
    """
    currency = currency_of(document)
    figures = []
    for spec in (*KEY_FIGURES, *percentile_figures(document), *SPREAD_FIGURES):
        value = lookup(document, spec.path)
        if value is ABSENT:
            continue
        if value is not None and not isinstance(value, int | float | str):
            continue
        figures.append(
            Figure(
                key=spec.key,
                label=spec.label,
                kind=spec.kind,
                value=value,
                text=format_figure(value, spec.kind, currency),
            )
        )
    return tuple(figures)


def percentile_figures(document: Mapping[str, Any]) -> tuple[FigureSpec, ...]:
    """Return a cost and a finish figure for each confidence level of the Monte Carlo block.

    The levels are whatever the analysis request named (``p50``, ``p80``, ``p97.5``...), so
    an analysis run at P10 and P90 prints those two rather than missing P50, P80 and P95.
    """
    specs = []
    for key, label, path, kind in _PERCENTILE_BLOCKS:
        levels = lookup(document, path)
        if not isinstance(levels, Mapping):
            continue
        for level in level_keys(levels):
            specs.append(
                FigureSpec(f"{key}_{level}", f"{level.upper()} {label}", (*path, level), kind)
            )
    return tuple(specs)


def level_keys(levels: Mapping[str, Any]) -> list[str]:
    """Return the confidence level keys of ``levels`` (``p10``, ``p97.5``...), lowest first."""
    ranked = sorted(
        (confidence, k) for k in levels if (confidence := level_confidence(k)) is not None
    )
    return [key for _, key in ranked]
