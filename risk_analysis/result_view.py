"""The JSON form of a simulation result, in the shape of the API specification.

``budget_completion`` maps each confidence level (``p50``, ``p80``, ``p97.5``) to the cost at
completion as a ratio to the budget at completion, and ``schedule_completion`` to the
finish date (ISO ``YYYY-MM-DD``). The other keys carry the deterministic finish, means,
standard deviations, histograms, S-curves, criticality, sensitivity and the warnings.
``criticality`` lists the activities most often critical with their codes and names, and
``criticality_index`` maps the id of every activity critical in at least one iteration to
its index; an activity it leaves out was critical in no iteration.
Values are plain floats, ints, strings, lists and dicts. A figure that does not exist, such
as a date without a calendar, a ratio without a budget or an infinite value, is None.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from risk_analysis.histogram import HistogramBin
    from risk_analysis.results import CostForecast, FinishForecast, SimulationResult


def level_key(confidence: float) -> str:
    """Return the key of a confidence level: 0.8 is ``p80``, 0.975 is ``p97.5``."""
    return f"p{round(confidence * 100, 6):g}"


def iso_date(moment: datetime | None) -> str | None:
    """Return the date of an instant as ``YYYY-MM-DD``, or None."""
    return None if moment is None else moment.date().isoformat()


def number(value: float | None) -> float | None:
    """Return a finite float, or None for a missing or infinite value."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def simulation_view(result: SimulationResult) -> dict[str, Any]:
    """Return a simulation result as JSON-ready values."""
    finish = result.finish
    cost = result.cost
    return {
        "iterations": result.iterations,
        "budget_completion": {
            level_key(p.confidence): number(p.ratio_to_budget)
            for p in cost.percentiles
            if p.ratio_to_budget is not None
        },
        "schedule_completion": {
            level_key(p.confidence): iso_date(p.date) for p in finish.percentiles
        },
        "deterministic_finish": iso_date(finish.deterministic_date),
        "schedule": _schedule(finish),
        "cost": _cost(cost),
        "criticality": [
            {"activity_id": c.activity_id, "code": c.code, "name": c.name, "index": c.index}
            for c in result.criticality
        ],
        "criticality_index": dict(result.criticality_index),
        "sensitivity": {
            "iterations": result.sensitivity.iterations,
            "finish": [driver.as_dict() for driver in result.sensitivity.finish],
            "cost": [driver.as_dict() for driver in result.sensitivity.cost],
        },
        "warnings": [warning.as_dict() for warning in result.warnings],
    }


def _schedule(finish: FinishForecast) -> dict[str, Any]:
    return {
        "deterministic_finish": iso_date(finish.deterministic_date),
        "deterministic_hours": number(finish.deterministic_hours),
        "mean_hours": number(finish.mean_hours),
        "standard_deviation_hours": number(finish.standard_deviation_hours),
        "merge_bias_hours": number(finish.merge_bias_hours),
        "resolution_hours": number(finish.resolution_hours),
        "percentiles": {
            level_key(p.confidence): {"date": iso_date(p.date), "hours": number(p.offset_hours)}
            for p in finish.percentiles
        },
        "histogram": _bins(finish.histogram),
        "s_curve": [
            {"date": iso_date(p.date), "hours": number(p.value), "probability": p.probability}
            for p in finish.s_curve
        ],
    }


def _cost(cost: CostForecast) -> dict[str, Any]:
    return {
        "budget_at_completion": number(cost.budget_at_completion),
        "deterministic": number(cost.deterministic_cost),
        "mean": number(cost.mean),
        "standard_deviation": number(cost.standard_deviation),
        "resolution": number(cost.resolution),
        "percentiles": {level_key(p.confidence): number(p.cost) for p in cost.percentiles},
        "histogram": _bins(cost.histogram),
        "s_curve": [
            {"value": number(p.value), "probability": p.probability} for p in cost.s_curve
        ],
    }


def _bins(bins: Iterable[HistogramBin]) -> list[dict[str, Any]]:
    return [{"lower": number(b.lower), "upper": number(b.upper), "count": b.count} for b in bins]
