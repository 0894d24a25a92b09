"""The Monte Carlo section of a report document, as JSON-ready values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from risk_analysis import SimulationResult

_HOURS_PER_DAY = 8.0


def _key(confidence: float) -> str:
    return f"p{round(confidence * 100)}"


def _iso(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment is not None else None


def monte_carlo_view(
    result: SimulationResult, *, seed: int, hours_per_day: float
) -> dict[str, Any]:
    """Return the analysis in the specification's shape plus its distributions.

    ``budget_completion`` holds cost at completion as a ratio to BAC per confidence level
    and ``schedule_completion`` the finish date per level, as the API specification shows;
    the other keys carry the moments, histograms, S-curves and criticality behind them.
    """
    cost = result.cost
    finish = result.finish
    day_hours = hours_per_day if hours_per_day > 0 else _HOURS_PER_DAY
    return {
        "iterations": result.iterations,
        "seed": seed,
        "budget_completion": {
            _key(p.confidence): round(p.ratio_to_budget, 4)
            for p in cost.percentiles
            if p.ratio_to_budget is not None
        },
        "schedule_completion": {_key(p.confidence): _iso(p.date) for p in finish.percentiles},
        "cost": {
            "budget_at_completion": cost.budget_at_completion,
            "deterministic": cost.deterministic_cost,
            "mean": cost.mean,
            "standard_deviation": cost.standard_deviation,
            "percentiles": {_key(p.confidence): p.cost for p in cost.percentiles},
            "histogram": [
                {"lower": b.lower, "upper": b.upper, "count": b.count} for b in cost.histogram
            ],
            "s_curve": [{"value": p.value, "probability": p.probability} for p in cost.s_curve],
        },
        "schedule": {
            "deterministic_finish": _iso(finish.deterministic_date),
            "mean_remaining_days": finish.mean_hours / day_hours,
            "standard_deviation_days": finish.standard_deviation_hours / day_hours,
            "resolution_hours": finish.resolution_hours,
            "histogram": [
                {
                    "lower_days": b.lower / day_hours,
                    "upper_days": b.upper / day_hours,
                    "count": b.count,
                }
                for b in finish.histogram
            ],
            "s_curve": [
                {"date": _iso(p.date), "probability": p.probability} for p in finish.s_curve
            ],
        },
        "criticality": [
            {"activity_id": c.activity_id, "code": c.code, "name": c.name, "index": c.index}
            for c in result.criticality
        ],
    }
