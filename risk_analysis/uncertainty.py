"""The uncertainty model of a project: what each simulation chunk samples and on which bins.

Durations describe the work that remains. An activity's three-point estimate, in working
hours of its calendar, is the estimate of its remaining work. Without one, the remaining
duration is spread by ``schedule_uncertainty`` as estimates.py describes. Completed
activities are fixed. Correlated durations come from a Gaussian copula (correlation.py), the
others are drawn independently, and risk events add their impacts (risks.py).

``resource_availability`` f in (0, 1] stretches the remaining duration of every
resource-loaded activity, one with a labour or non-labour assignment, by 1 / f after risk
impacts: with 90 % of the planned resources the same work takes 1 / 0.9 = 1.11 times as
long. The deterministic CPM keeps the planned resources, so the gap between it and the
simulated P50 then includes that stretch as well as merge bias.

Remaining costs are sampled and follow durations as costs.py describes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from risk_analysis.correlation import (
    CopulaModel,
    CorrelationSpec,
    CorrelationWarning,
    build_copula,
)
from risk_analysis.costs import (
    TIME_DEPENDENT_RESOURCE_TYPES,
    CostModel,
    build_cost_model,
    cost_bounds,
)
from risk_analysis.cpm import CpmResult, compute_cpm
from risk_analysis.errors import SimulationInputError
from risk_analysis.estimates import (
    EstimateGroup,
    check_spread,
    checked,
    item_bounds,
    remaining_share,
    scaled,
    split,
    spread_estimate,
)
from risk_analysis.histogram import BinEdges, bin_edges
from risk_analysis.network import Network, build_network
from risk_analysis.pass_kernels import KernelPlan, kernel_plan
from risk_analysis.passes import early_times, project_finish, reference_hours
from risk_analysis.risks import RiskModel, build_risk_model
from risk_analysis.sensitivity import DEFAULT_SENSITIVITY_ITERATIONS, InputLabel, SensitivityInputs
from schedules.model import Project, ThreePointEstimate

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Fine enough that the bin width, and so the quantile resolution, is 1/10,000 of the range
# between the lowest and highest outcome the model can produce.
DEFAULT_BINS = 10_000
# Calendar tables must reach this many hours past the latest possible finish.
_HORIZON_MARGIN_HOURS = 24.0 * 60
_HOURS_PER_YEAR = 24.0 * 365.25


@dataclass(frozen=True, slots=True, eq=False)
class SimulationModel:
    """Everything a chunk needs: the network, what to sample, and the histogram edges.

    ``base_durations`` are the durations of items nothing samples. ``stretch`` multiplies
    each network duration after risk impacts (1 / resource availability where loaded).
    ``finish_edges`` bin the finish in working hours of the reference calendar,
    ``elapsed_edges`` in elapsed hours from the data date. Activities count as critical when
    their total float is at most the threshold plus the float32 tolerance. ``kernels`` is
    the network's plan flattened for the compiled passes.
    """

    network: Network
    deterministic: CpmResult
    base_durations: FloatArray
    duration_groups: tuple[EstimateGroup, ...]
    copula: CopulaModel | None
    stretch: FloatArray
    resource_availability: float
    costs: CostModel
    risks: RiskModel
    budget_at_completion: float
    deterministic_cost: float
    finish_edges: BinEdges
    elapsed_edges: BinEdges
    cost_edges: BinEdges
    critical_threshold_hours: float
    critical_tolerance_hours: float
    sensitivity: SensitivityInputs
    sensitivity_iterations: int
    warnings: tuple[CorrelationWarning, ...]
    kernels: KernelPlan

    @property
    def fixed_positions(self) -> IntArray:
        """Return the network positions that neither a group nor the copula samples."""
        return np.flatnonzero(~self.sampled_mask)

    @property
    def sampled_mask(self) -> npt.NDArray[np.bool_]:
        """Return, per network position, whether a group or the copula samples it."""
        sampled = np.zeros(self.network.size, dtype=np.bool_)
        for group in self.duration_groups:
            sampled[group.targets] = True
        if self.copula is not None:
            sampled[self.copula.targets] = True
        return sampled


@dataclass(frozen=True, slots=True, eq=False)
class _Durations:
    base: FloatArray
    groups: tuple[EstimateGroup, ...]
    copula: CopulaModel | None
    warnings: tuple[CorrelationWarning, ...]
    low: FloatArray
    high: FloatArray


def build_model(
    project: Project,
    *,
    schedule_uncertainty: float,
    budget_uncertainty: float,
    resource_availability: float = 1.0,
    correlations: Sequence[CorrelationSpec] = (),
    critical_threshold_hours: float = 0.0,
    bins: int = DEFAULT_BINS,
    sensitivity_iterations: int = DEFAULT_SENSITIVITY_ITERATIONS,
) -> SimulationModel:
    """Build the uncertainty model of the project's remaining work.

    Raise NetworkError when the logic is broken and SimulationInputError, naming the field,
    for a setting, estimate, correlation or risk that cannot be sampled.
    """
    _check_settings(schedule_uncertainty, budget_uncertainty, resource_availability, bins)
    if sensitivity_iterations < 0:
        raise SimulationInputError(
            "the iterations to rank for sensitivity cannot be negative; use 0 to skip it",
            "sensitivity_iterations",
            sensitivity_iterations,
        )
    network = build_network(project)
    while True:
        durations = _duration_model(project, network, schedule_uncertainty, correlations)
        risks = build_risk_model(project, network)
        stretch = _stretch(project, network, resource_availability)
        low, high = _work_bounds(durations, risks)
        finish_low, finish_high = _finish_bounds(network, low * stretch, high * stretch)
        calendars = network.calendars
        if calendars is None or finish_high + _HORIZON_MARGIN_HOURS <= calendars.end_hours:
            break
        # NOTE: the 100-year limit of build_network covers the deterministic schedule only;
        # wide risk impacts can take simulated finishes far beyond it, up to 9999-12-31.
        network = _extended_network(project, finish_high, resource_availability)
        logger.debug("calendar tables extended to cover the latest possible finish")

    deterministic = compute_cpm(network, critical_threshold_hours=critical_threshold_hours)
    costs = build_cost_model(project, network, budget_uncertainty)
    hours_low, hours_high = (
        float(value)
        for value in reference_hours(network.plan, np.array([finish_low, finish_high]))
    )
    cost_low, cost_high = _cost_bounds(
        costs, risks, network, (low, high), (hours_low, hours_high), deterministic
    )
    # Chunks run CPM in float32, whose rounding grows with the size of the offsets. On 1,000
    # sampled sp10 iterations the finish differed from float64 by under 0.005 h. A value
    # that rounds onto a period boundary can land on the other side of the gap there, which
    # moved 0.018 % of total floats by up to 2 h but changed no criticality count.
    tolerance = 64 * float(np.finfo(np.float32).eps) * max(abs(finish_low), abs(finish_high), 1.0)
    return SimulationModel(
        network=network,
        deterministic=deterministic,
        base_durations=durations.base,
        duration_groups=durations.groups,
        copula=durations.copula,
        stretch=stretch,
        resource_availability=resource_availability,
        costs=costs,
        risks=risks,
        budget_at_completion=project.budget_at_completion,
        deterministic_cost=sum(activity.at_completion_cost for activity in project.activities),
        finish_edges=bin_edges(hours_low, hours_high, bins),
        elapsed_edges=bin_edges(finish_low, finish_high, bins),
        cost_edges=bin_edges(cost_low, cost_high, bins),
        critical_threshold_hours=critical_threshold_hours,
        critical_tolerance_hours=tolerance,
        sensitivity=_sensitivity_inputs(project, network, durations, risks, costs),
        sensitivity_iterations=sensitivity_iterations,
        warnings=durations.warnings,
        kernels=kernel_plan(network.plan),
    )


def _extended_network(project: Project, finish_high: float, availability: float) -> Network:
    """Rebuild the network with calendar tables up to twice the latest possible finish.

    Raises:
        SimulationInputError: that horizon ends after 9999-12-31, the last date Python's
            datetime can hold, for example because resource_availability is near zero.
    """
    years = finish_high / _HOURS_PER_YEAR
    years_text = f"{years:,.0f}" if years < 1e6 else f"{years:.2g}"
    error = SimulationInputError(
        f"the latest possible finish, {years_text} years after the data date, needs "
        "calendars past 9999-12-31, the last date they can hold; raise "
        "resource_availability or narrow the duration estimates and risk impacts",
        "resource_availability",
        availability,
    )
    last_moment = datetime.max.replace(tzinfo=project.data_date.tzinfo)
    # Checked before building, because calendar tables that span thousands of years take
    # many seconds to build.
    if 2.0 * finish_high > (last_moment - project.data_date) / timedelta(hours=1):
        raise error
    try:
        return build_network(project, horizon_hours=2.0 * finish_high)
    except OverflowError as overflow:
        raise error from overflow


def _check_settings(schedule: float, budget: float, availability: float, bins: int) -> None:
    check_spread("schedule_uncertainty", schedule)
    check_spread("budget_uncertainty", budget)
    if not 0.0 < availability <= 1.0:
        raise SimulationInputError(
            "resource availability is the share of planned resources at hand and must lie "
            "in (0, 1], such as 0.9 for 90 %",
            "resource_availability",
            availability,
        )
    if bins < 10:
        raise SimulationInputError("use at least 10 histogram bins", "bins", bins)


def _duration_items(
    project: Project, network: Network, spread: float
) -> list[tuple[str, int, ThreePointEstimate]]:
    """Return (activity id, position, estimate) of every open activity with an estimate."""
    scheduled = network.plan.scheduled
    items = []
    for activity in project.activities:
        position = network.positions.get(activity.id)
        if position is None or not scheduled[position]:
            continue
        if activity.duration_estimate is not None:
            field = f"duration_estimate of activity {activity.code or activity.id}"
            whole = checked(activity.duration_estimate, field)
            share = remaining_share(
                float(network.remaining_hours[position]), activity.original_duration_hours
            )
            items.append((activity.id, position, scaled(whole, share)))
        elif spread > 0.0 and network.remaining_hours[position] > 0.0:
            estimate = spread_estimate(float(network.remaining_hours[position]), spread)
            items.append((activity.id, position, estimate))
    return items


def _duration_model(
    project: Project, network: Network, spread: float, correlations: Sequence[CorrelationSpec]
) -> _Durations:
    """Return the base durations, the independent groups and the copula of correlated ones."""
    items = _duration_items(project, network, spread)
    varying = {
        activity_id: (position, estimate)
        for activity_id, position, estimate in items
        if estimate.optimistic != estimate.pessimistic
    }
    codes = {activity.id: activity.code or activity.id for activity in project.activities}
    copula, warnings = build_copula(correlations, codes, varying)
    correlated = set() if copula is None else set(copula.targets.tolist())
    groups, fixed = split(
        (position, estimate) for _, position, estimate in items if position not in correlated
    )
    base = network.remaining_hours.copy()
    for position, value in fixed:
        base[position] = value
    low, high = item_bounds(base, groups)
    if copula is not None:
        low[copula.targets] = copula.quantiles[:, 0]
        high[copula.targets] = copula.quantiles[:, -1]
    return _Durations(base, groups, copula, warnings, low, high)


def _stretch(project: Project, network: Network, availability: float) -> FloatArray:
    """Return 1 / availability for network activities with work resources, else 1."""
    types = {resource.id: resource.type for resource in project.resources}
    loaded = {
        assignment.activity_id
        for assignment in project.assignments
        if types.get(assignment.resource_id or "") in TIME_DEPENDENT_RESOURCE_TYPES
    }
    stretch = np.ones(network.size, dtype=np.float64)
    for activity_id in loaded:
        position = network.positions.get(activity_id)
        if position is not None:
            stretch[position] = 1.0 / availability
    return stretch


def _work_bounds(durations: _Durations, risks: RiskModel) -> tuple[FloatArray, FloatArray]:
    """Return bounds on every network duration, risk impacts included, before stretching."""
    low, high = durations.low.copy(), durations.high.copy()
    impact_low, impact_high = item_bounds(risks.fixed_duration_impacts, risks.duration_groups)
    np.add.at(low, risks.hit_positions, np.minimum(impact_low[risks.hit_risks], 0.0))
    np.add.at(high, risks.hit_positions, np.maximum(impact_high[risks.hit_risks], 0.0))
    return np.maximum(low, 0.0), np.maximum(high, 0.0)


def _finish_bounds(network: Network, low: FloatArray, high: FloatArray) -> tuple[float, float]:
    """Return bounds, in elapsed hours, on the project finish that hold in every iteration."""
    plan = network.plan
    lowest = project_finish(plan, early_times(plan, low[:, None], high[:, None]))
    highest = project_finish(plan, early_times(plan, high[:, None], low[:, None]))
    return float(lowest[0]), float(highest[0])


def _cost_bounds(
    costs: CostModel,
    risks: RiskModel,
    network: Network,
    work: tuple[FloatArray, FloatArray],
    hours: tuple[float, float],
    deterministic: CpmResult,
) -> tuple[float, float]:
    scheduled = network.remaining_hours
    ratio_bounds = []
    for durations, project_hours in zip(work, hours, strict=True):
        ratios = np.ones(costs.size)
        chosen = np.flatnonzero(costs.positions >= 0)
        positions = costs.positions[chosen]
        known = scheduled[positions] > 0.0
        ratios[chosen[known]] = durations[positions[known]] / scheduled[positions[known]]
        planned = deterministic.project_finish_hours
        ratios[costs.follows_project] = project_hours / planned if planned > 0.0 else 1.0
        ratio_bounds.append(ratios)
    impact_low, impact_high = item_bounds(risks.fixed_cost_impacts, risks.cost_groups)
    extra = (
        float(np.sum(np.minimum(impact_low, 0.0) * risks.cost_multipliers)),
        float(np.sum(np.maximum(impact_high, 0.0) * risks.cost_multipliers)),
    )
    low_ratio, high_ratio = ratio_bounds
    return cost_bounds(
        costs, (np.minimum(low_ratio, high_ratio), np.maximum(low_ratio, high_ratio)), extra
    )


def _sensitivity_inputs(
    project: Project,
    network: Network,
    durations: _Durations,
    risks: RiskModel,
    costs: CostModel,
) -> SensitivityInputs:
    """Label the sampled durations, sampled costs and risks that the ranking covers."""
    targets = [group.targets for group in durations.groups]
    if durations.copula is not None:
        targets.append(durations.copula.targets)
    positions = np.sort(np.concatenate(targets)) if targets else np.zeros(0, dtype=np.int64)
    by_id = {activity.id: activity for activity in project.activities}
    duration_labels = tuple(
        InputLabel(
            "activity_duration",
            network.activity_ids[p],
            network.activity_codes[p],
            network.activity_names[p],
        )
        for p in positions.tolist()
    )
    cost_items = costs.sampled_items()
    cost_labels = tuple(
        InputLabel("activity_cost", a.id, a.code or a.id, a.name)
        for a in (by_id[costs.activity_ids[i]] for i in cost_items.tolist())
    )
    duration_risks = np.unique(risks.hit_risks)
    cost_risks = np.flatnonzero(risks.has_cost)
    return SensitivityInputs(
        duration_positions=positions.astype(np.int64),
        duration_risks=duration_risks.astype(np.int64),
        cost_items=cost_items,
        cost_risks=cost_risks.astype(np.int64),
        finish_labels=duration_labels + _risk_labels(risks, duration_risks),
        cost_labels=cost_labels + duration_labels + _risk_labels(risks, cost_risks),
    )


def _risk_labels(risks: RiskModel, chosen: IntArray) -> tuple[InputLabel, ...]:
    return tuple(
        InputLabel("risk", risks.risk_ids[i], risks.risk_ids[i], risks.titles[i])
        for i in chosen.tolist()
    )
