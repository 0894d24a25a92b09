"""Simulation results and the merge that builds them from chunk aggregates.

Percentiles come from the merged histograms on fine bins (see histogram.py), so they are
exact to within one bin width, reported as ``resolution_hours`` and ``resolution``. Finish
hours are working hours of the reference calendar from the data date. Finish dates come
from a second histogram in elapsed hours, so a finish on a day the reference calendar does
not work keeps its own date.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from risk_analysis.chunks import ChunkAggregate, combine
from risk_analysis.correlation import CorrelationWarning
from risk_analysis.errors import SimulationInputError
from risk_analysis.histogram import Histogram, HistogramBin
from risk_analysis.passes import reference_hours
from risk_analysis.result_view import level_key, simulation_view
from risk_analysis.sensitivity import DEFAULT_TOP_DRIVERS, Sensitivity, rank_drivers
from risk_analysis.uncertainty import SimulationModel

DEFAULT_CONFIDENCE_LEVELS = (0.5, 0.8, 0.95)
DEFAULT_DISPLAY_BINS = 40
DEFAULT_TOP_ACTIVITIES = 20


@dataclass(frozen=True, slots=True)
class FinishPercentile:
    confidence: float
    offset_hours: float
    date: datetime | None


@dataclass(frozen=True, slots=True)
class CostPercentile:
    """A cost percentile; ``ratio_to_budget`` is None when the budget at completion is 0."""

    confidence: float
    cost: float
    ratio_to_budget: float | None


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """A point of the cumulative probability curve (S-curve)."""

    value: float
    probability: float
    date: datetime | None = None


@dataclass(frozen=True, slots=True)
class FinishForecast:
    """Project finish in working hours of the reference calendar from the data date.

    Dates exist where the project has a calendar. ``distribution`` counts the finish in
    working hours, ``date_distribution`` in elapsed hours from ``data_date``.
    """

    deterministic_hours: float
    deterministic_date: datetime | None
    mean_hours: float
    standard_deviation_hours: float
    percentiles: tuple[FinishPercentile, ...]
    histogram: tuple[HistogramBin, ...]
    s_curve: tuple[CurvePoint, ...]
    resolution_hours: float
    distribution: Histogram
    date_distribution: Histogram
    data_date: datetime

    def probability_by(self, offset_hours: float) -> float:
        """Return the simulated chance of finishing within ``offset_hours`` of the data date."""
        return self.distribution.probability_at_most(offset_hours)

    @property
    def merge_bias_hours(self) -> float:
        """Return the simulated median (P50) finish minus the deterministic CPM finish.

        Parallel paths that merge make the expected finish later than the CPM finish of the
        expected durations. This is that shift, whichever confidence levels were requested.
        """
        return self.distribution.quantile(0.5) - self.deterministic_hours

    def probability_by_date(self, moment: datetime) -> float:
        """Return the simulated chance of finishing at or before ``moment``."""
        elapsed = (moment - self.data_date).total_seconds() / 3600.0
        return self.date_distribution.probability_at_most(elapsed)


@dataclass(frozen=True, slots=True)
class CostForecast:
    """Total cost at completion: actual cost plus the sampled remaining cost and risks."""

    budget_at_completion: float
    deterministic_cost: float
    mean: float
    standard_deviation: float
    percentiles: tuple[CostPercentile, ...]
    histogram: tuple[HistogramBin, ...]
    s_curve: tuple[CurvePoint, ...]
    resolution: float
    distribution: Histogram


@dataclass(frozen=True, slots=True)
class Criticality:
    """Share of iterations in which an activity was critical."""

    activity_id: str
    code: str
    name: str
    index: float


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Finish and cost forecasts, criticality, sensitivity and the input warnings.

    ``criticality`` ranks the ``top_activities`` most often critical, with their names.
    ``criticality_index`` pairs every activity critical in at least one iteration with its
    index, in network order. Activities it leaves out were critical in no iteration.
    """

    iterations: int
    finish: FinishForecast
    cost: CostForecast
    criticality: tuple[Criticality, ...]
    criticality_index: tuple[tuple[str, float], ...]
    sensitivity: Sensitivity
    warnings: tuple[CorrelationWarning, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready values in the API specification's shape."""
        return simulation_view(self)


def merge(
    model: SimulationModel,
    aggregates: Sequence[ChunkAggregate],
    *,
    confidence_levels: Sequence[float] = DEFAULT_CONFIDENCE_LEVELS,
    display_bins: int = DEFAULT_DISPLAY_BINS,
    top_activities: int = DEFAULT_TOP_ACTIVITIES,
    top_drivers: int = DEFAULT_TOP_DRIVERS,
) -> SimulationResult:
    """Combine chunk aggregates (in any order or grouping) into the result."""
    check_confidence_levels(confidence_levels)
    total = combine(aggregates)
    return SimulationResult(
        iterations=total.iterations,
        finish=_finish(model, total, confidence_levels, display_bins),
        cost=_cost(model, total, confidence_levels, display_bins),
        criticality=_criticality(model, total, top_activities),
        criticality_index=tuple(
            (model.network.activity_ids[i], float(total.critical_counts[i]) / total.iterations)
            for i in np.flatnonzero(total.critical_counts)
        ),
        sensitivity=rank_drivers(model.sensitivity, total.sensitivity, top_drivers),
        warnings=model.warnings,
    )


def check_confidence_levels(levels: Sequence[float]) -> None:
    """Raise SimulationInputError unless every level lies strictly between 0 and 1.

    Levels so close that they share a key (``p50`` for 0.5 and 0.5000001) are rejected too,
    because the result keeps one figure per key, and so are levels whose key reads p0 or
    p100.
    """
    keys: dict[str, float] = {}
    for level in levels:
        if not 0.0 < level < 1.0:
            raise SimulationInputError(
                "confidence levels must lie strictly between 0 and 1, such as 0.8 for P80",
                "confidence_levels",
                level,
            )
        key = level_key(level)
        if key in ("p0", "p100"):
            raise SimulationInputError(
                f"confidence level {level!r} reads {key}, as keys keep six decimals and six "
                "significant digits of the percentage; use a level such as 0.001 or 0.999",
                "confidence_levels",
                level,
            )
        if key in keys:
            raise SimulationInputError(
                f"confidence levels {keys[key]!r} and {level!r} both read {key}, as keys "
                "keep six decimals and six significant digits of the percentage; give levels "
                "further apart",
                "confidence_levels",
                level,
            )
        keys[key] = level


def _moments(sums: Sequence[float], squares: Sequence[float], count: int) -> tuple[float, float]:
    """Return the mean and sample standard deviation from per-chunk sums."""
    total = math.fsum(sums)
    mean = total / count
    if count < 2:
        return mean, 0.0
    variance = (math.fsum(squares) - total * mean) / (count - 1)
    return mean, math.sqrt(max(variance, 0.0))


def _finish(
    model: SimulationModel, total: ChunkAggregate, levels: Sequence[float], display_bins: int
) -> FinishForecast:
    histogram = Histogram(
        model.finish_edges, tuple(int(c) for c in total.finish_counts), *total.finish_range
    )
    by_date = Histogram(
        model.elapsed_edges, tuple(int(c) for c in total.elapsed_counts), *total.elapsed_range
    )
    deterministic = model.deterministic
    reference = deterministic.project_finish_hours
    mean, deviation = _moments(
        [s.finish_sum for s in total.partial_sums],
        [s.finish_squares for s in total.partial_sums],
        total.iterations,
    )
    elapsed = [by_date.quantile(level) for level in levels]
    curve = _curve(by_date.coarse(display_bins), total.iterations)
    dates = _dates(model, [*elapsed, *(point.value for point in curve)])
    curve_hours = reference_hours(model.network.plan, np.array([p.value for p in curve]))
    return FinishForecast(
        deterministic_hours=reference,
        deterministic_date=deterministic.project_finish,
        mean_hours=reference + mean,
        standard_deviation_hours=deviation,
        percentiles=tuple(
            FinishPercentile(level, histogram.quantile(level), date)
            for level, date in zip(levels, dates[: len(levels)], strict=True)
        ),
        histogram=histogram.coarse(display_bins),
        s_curve=tuple(
            CurvePoint(float(hours), point.probability, date)
            for point, hours, date in zip(curve, curve_hours, dates[len(levels) :], strict=True)
        ),
        resolution_hours=model.finish_edges.width,
        distribution=histogram,
        date_distribution=by_date,
        data_date=model.network.data_date,
    )


def _curve(coarse: Sequence[HistogramBin], iterations: int) -> list[CurvePoint]:
    """Return the cumulative share of iterations at each edge of the display bins."""
    if not coarse:
        return []
    values = [coarse[0].lower, *(b.upper for b in coarse)]
    shares = np.cumsum([0, *(b.count for b in coarse)]) / iterations
    return [CurvePoint(v, float(p)) for v, p in zip(values, shares, strict=True)]


def _dates(model: SimulationModel, elapsed: Sequence[float]) -> list[datetime | None]:
    """Return finish dates, to the minute, of elapsed hours (None without a calendar).

    The histogram resolves finishes to a bin width of several minutes at best, so seconds
    would be noise.
    """
    network = model.network
    if network.calendars is None:
        return [None] * len(elapsed)
    return [
        (instant + timedelta(seconds=30)).replace(second=0, microsecond=0)
        for instant in network.elapsed_instants(list(elapsed))
    ]


def _cost(
    model: SimulationModel, total: ChunkAggregate, levels: Sequence[float], display_bins: int
) -> CostForecast:
    histogram = Histogram(
        model.cost_edges, tuple(int(c) for c in total.cost_counts), *total.cost_range
    )
    mean, deviation = _moments(
        [s.cost_sum for s in total.partial_sums],
        [s.cost_squares for s in total.partial_sums],
        total.iterations,
    )
    budget = model.budget_at_completion
    coarse = histogram.coarse(display_bins)
    percentiles = []
    for level in levels:
        cost = histogram.quantile(level)
        percentiles.append(CostPercentile(level, cost, cost / budget if budget else None))
    return CostForecast(
        budget_at_completion=budget,
        deterministic_cost=model.deterministic_cost,
        mean=model.deterministic_cost + mean,
        standard_deviation=deviation,
        percentiles=tuple(percentiles),
        histogram=coarse,
        s_curve=tuple(_curve(coarse, total.iterations)),
        resolution=model.cost_edges.width,
        distribution=histogram,
    )


def _criticality(
    model: SimulationModel, total: ChunkAggregate, top: int
) -> tuple[Criticality, ...]:
    """Return the ``top`` activities by criticality index.

    Ties go longest remaining duration first, then in network order: on a schedule where
    many activities are always critical, the long tasks of the path come before the
    milestones that date constraints pin.
    """
    network = model.network
    counts = total.critical_counts
    remaining = np.where(network.plan.scheduled, network.remaining_hours, 0.0)
    order = np.lexsort((np.arange(counts.size), -remaining, -counts))[:top]
    return tuple(
        Criticality(
            activity_id=network.activity_ids[i],
            code=network.activity_codes[i],
            name=network.activity_names[i],
            index=float(counts[i]) / total.iterations,
        )
        for i in order
        if counts[i] > 0
    )
