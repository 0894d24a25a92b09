"""The Monte Carlo part of a report document, as JSON-ready values."""

from __future__ import annotations

from typing import Any

from risk_analysis import SimulationResult


def monte_carlo_view(result: SimulationResult, *, seed: int) -> dict[str, Any]:
    """Return the analysis in the specification's shape, with the seed that reproduces it.

    ``budget_completion`` holds cost at completion as a ratio to BAC per confidence level
    and ``schedule_completion`` the finish date per level, as the API specification shows;
    the other keys carry the deterministic finish beside the distributions (merge bias),
    histograms, S-curves, criticality and sensitivity behind them.
    """
    return {**result.to_dict(), "seed": seed}
