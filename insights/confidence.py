"""How sure an insight is, computed from the data behind it.

Each function documents its formula; docs/insights.md gathers them for readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import fmean

from insights.model import clamp

# Earned value practice treats the cumulative CPI as settled once about 20 % of the work is
# done, so evidence from less work counts for less. NOTE: a rule of thumb, not a fitted value.
CPI_STABLE_FRACTION = 0.20


def maturity(percent_complete: float | None) -> float:
    """Weight of evidence from progress so far: 0 at the start, 1 from 20 % complete."""
    if percent_complete is None or percent_complete <= 0:
        return 0.0
    return min(percent_complete / CPI_STABLE_FRACTION, 1.0)


def agreement(values: Sequence[float]) -> float:
    """Agreement of independent forecasts: 1 minus their spread relative to their mean."""
    if len(values) < 2:
        return 0.5
    centre = abs(fmean(values))
    if centre == 0:
        return 0.0
    spread = (max(values) - min(values)) / centre
    return max(1.0 - spread, 0.0)


def forecast_confidence(forecasts: Sequence[float], percent_complete: float | None) -> float:
    """Confidence in a forecast: half from the methods' agreement, half from maturity."""
    return clamp(0.5 * agreement(forecasts) + 0.5 * maturity(percent_complete))


def threshold_confidence(
    value: float, threshold: float, percent_complete: float | None, *, scale: float = 0.10
) -> float:
    """Confidence that a reading is really on the side of ``threshold`` where it lies.

    The margin counts fully at ``scale`` (0.10 index points by default); a reading from
    early work is discounted by ``maturity``, because indices swing most at the start.
    """
    margin = min(abs(value - threshold) / scale, 1.0)
    return clamp((0.6 + 0.4 * margin) * (0.5 + 0.5 * maturity(percent_complete)))


def probability_confidence(probability: float, iterations: int) -> float:
    """Confidence in a simulated probability: how far it is from a coin toss, less its error.

    The standard error of a proportion, sqrt(p (1 - p) / n), is subtracted so that a short
    simulation counts for less.
    """
    if iterations <= 0:
        return clamp(0.0)
    error = (probability * (1 - probability) / iterations) ** 0.5
    return clamp(0.5 + abs(probability - 0.5) - error)


def data_confidence(flagged: int, total: int) -> float:
    """Confidence in a finding counted over activities: the share with sound data."""
    if total <= 0:
        return clamp(0.0)
    return clamp(1.0 - flagged / total)


def trend_confidence(r_squared: float, months: int) -> float:
    """Confidence in a trend fitted over ``months`` points: its fit, discounted for few points.

    ``r_squared`` is the share of the variation the straight line explains; the factor
    n / (n + 3) halves the weight of a three-month trend and approaches 1 for long series.
    """
    if months < 2:
        return clamp(0.0)
    return clamp(max(r_squared, 0.0) * months / (months + 3))


def overload_confidence(ratio: float, limit: float, history_months: int) -> float:
    """Confidence that a resource is really overloaded, from the excess and its history.

    The excess over ``limit`` counts fully at 0.5 (demand 50 % beyond the limit), and the
    demonstrated rate it is measured against weighs n / (n + 1) for n months of actuals.
    """
    margin = min(max(ratio - limit, 0.0) / 0.5, 1.0)
    history = history_months / (history_months + 1)
    return clamp((0.6 + 0.4 * margin) * history)
