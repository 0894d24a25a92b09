"""The uncertainty model of a project: what each simulation chunk samples and on which bins.

Durations and costs describe the work that remains. An activity's three-point estimate
(duration in working hours, cost in the project currency) is taken as the estimate of its
remaining work. Without one, the remaining value R becomes triangular (R (1 - s / 2), R,
R (1 + s)) for the relative spread s given: skewed late, with the pessimistic side twice as
wide as the optimistic one. Completed activities and actual costs are fixed.

NOTE: costs are sampled apart from durations, so a longer activity does not cost more, and
level-of-effort costs do not follow the project duration.

Risk events occur with their probability in each iteration, independently. An occurring
risk adds one sampled duration impact to each affected activity and one sampled cost
impact per affected activity (once when it names none), as schedules.model.Risk states.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from risk_analysis import distributions
from risk_analysis.cpm import CpmResult, compute_cpm
from risk_analysis.errors import SimulationInputError
from risk_analysis.histogram import BinEdges, bin_edges
from risk_analysis.network import Network, build_network
from risk_analysis.passes import early_times, project_finish, reference_hours
from schedules.model import ActivityStatus, Distribution, Project, Risk, ThreePointEstimate

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Fine enough that the bin width, and so the quantile resolution, is 1/10,000 of the range
# between the lowest and highest outcome the model can produce.
DEFAULT_BINS = 10_000
MAX_RELATIVE_SPREAD = 2.0
# NOTE: only this status (in any letter case) takes a risk out of the simulation.
_CLOSED_RISK_STATUSES = frozenset({"closed"})


@dataclass(frozen=True, slots=True, eq=False)
class EstimateGroup:
    """Items sampled from one distribution kind: ``targets`` index the sampled array."""

    kind: Distribution
    targets: IntArray
    low: FloatArray
    mode: FloatArray
    high: FloatArray

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """Return the smallest and largest value each item can take."""
        low = distributions.ppf(self.kind, self.low, self.mode, self.high, 0.0)
        high = distributions.ppf(self.kind, self.low, self.mode, self.high, 1.0)
        return low, high


@dataclass(frozen=True, slots=True, eq=False)
class RiskModel:
    """Open risks: probabilities, impact estimates and the activities they hit.

    Impacts without spread sit in the ``fixed_*`` arrays (zero for the others). ``hit_risks``
    and ``hit_positions`` pair a risk index with a network position whose duration it
    extends. ``cost_multipliers`` counts how often a risk's cost impact is added.
    """

    risk_ids: tuple[str, ...]
    probabilities: FloatArray
    duration_groups: tuple[EstimateGroup, ...]
    fixed_duration_impacts: FloatArray
    cost_groups: tuple[EstimateGroup, ...]
    fixed_cost_impacts: FloatArray
    hit_risks: IntArray
    hit_positions: IntArray
    cost_multipliers: FloatArray

    @property
    def size(self) -> int:
        return len(self.risk_ids)


@dataclass(frozen=True, slots=True, eq=False)
class SimulationModel:
    """Everything a chunk needs: the network, what to sample, and the histogram edges.

    ``base_durations`` are the durations of items no group samples. ``fixed_cost`` is the
    actual cost plus every remaining cost that is not sampled. Activities count as critical
    when their total float is at most the threshold plus the float32 tolerance.
    """

    network: Network
    deterministic: CpmResult
    base_durations: FloatArray
    duration_groups: tuple[EstimateGroup, ...]
    fixed_cost: float
    cost_groups: tuple[EstimateGroup, ...]
    risks: RiskModel
    budget_at_completion: float
    deterministic_cost: float
    finish_edges: BinEdges
    cost_edges: BinEdges
    critical_threshold_hours: float
    critical_tolerance_hours: float


def build_model(
    project: Project,
    *,
    schedule_uncertainty: float,
    budget_uncertainty: float,
    critical_threshold_hours: float = 0.0,
    bins: int = DEFAULT_BINS,
) -> SimulationModel:
    """Build the uncertainty model of the project's remaining work.

    Raise NetworkError when the logic is broken and SimulationInputError, naming the field,
    for a setting, estimate or risk that cannot be sampled.
    """
    _check_spread("schedule_uncertainty", schedule_uncertainty)
    _check_spread("budget_uncertainty", budget_uncertainty)
    if bins < 10:
        raise SimulationInputError("use at least 10 histogram bins", "bins", bins)
    network = build_network(project)
    deterministic = compute_cpm(network, critical_threshold_hours=critical_threshold_hours)
    base_durations, duration_groups = _duration_model(project, network, schedule_uncertainty)
    fixed_cost, cost_groups = _cost_model(project, budget_uncertainty)
    risks = _risk_model(project, network)

    finish_low, finish_high = _finish_bounds(network, base_durations, duration_groups, risks)
    cost_low, cost_high = _cost_bounds(fixed_cost, cost_groups, risks)
    deterministic_cost = sum(activity.at_completion_cost for activity in project.activities)
    # Chunks run CPM in float32, whose rounding grows with the size of the offsets. On the
    # 4,000-activity sp10 schedule total floats differ from float64 by under 0.005 h, about
    # a twentieth of this tolerance there.
    tolerance = 64 * float(np.finfo(np.float32).eps) * max(abs(finish_low), abs(finish_high), 1.0)
    return SimulationModel(
        network=network,
        deterministic=deterministic,
        base_durations=base_durations,
        duration_groups=duration_groups,
        fixed_cost=fixed_cost,
        cost_groups=cost_groups,
        risks=risks,
        budget_at_completion=project.budget_at_completion,
        deterministic_cost=deterministic_cost,
        finish_edges=bin_edges(finish_low, finish_high, bins),
        cost_edges=bin_edges(cost_low, cost_high, bins),
        critical_threshold_hours=critical_threshold_hours,
        critical_tolerance_hours=tolerance,
    )


def _check_spread(field: str, value: float) -> None:
    if not 0.0 <= value <= MAX_RELATIVE_SPREAD:
        raise SimulationInputError(
            f"a relative spread must lie between 0 and {MAX_RELATIVE_SPREAD} "
            "(0.2 means -10 % to +20 % around the remaining value)",
            field,
            value,
        )


def _checked(estimate: ThreePointEstimate, field: str) -> ThreePointEstimate:
    try:
        distributions.validate(
            estimate.distribution, estimate.optimistic, estimate.most_likely, estimate.pessimistic
        )
    except SimulationInputError as error:
        raise SimulationInputError(error.message, field, error.value) from error
    return estimate


def _spread(value: float, spread: float) -> ThreePointEstimate:
    return ThreePointEstimate(value * (1 - spread / 2), value, value * (1 + spread))


_Item = tuple[int, ThreePointEstimate]


def _split(items: Iterable[_Item]) -> tuple[tuple[EstimateGroup, ...], list[tuple[int, float]]]:
    """Group (target, estimate) pairs by kind; estimates without spread come back as values."""
    by_kind: dict[Distribution, list[_Item]] = defaultdict(list)
    fixed = []
    for target, estimate in items:
        if estimate.optimistic == estimate.pessimistic:
            fixed.append((target, estimate.optimistic))
        else:
            by_kind[estimate.distribution].append((target, estimate))
    groups = tuple(_group(kind, by_kind[kind]) for kind in Distribution if by_kind.get(kind))
    return groups, fixed


def _group(kind: Distribution, items: list[_Item]) -> EstimateGroup:
    return EstimateGroup(
        kind=kind,
        targets=np.array([target for target, _ in items], dtype=np.int64),
        low=np.array([estimate.optimistic for _, estimate in items], dtype=np.float64),
        mode=np.array([estimate.most_likely for _, estimate in items], dtype=np.float64),
        high=np.array([estimate.pessimistic for _, estimate in items], dtype=np.float64),
    )


def _duration_model(
    project: Project, network: Network, spread: float
) -> tuple[FloatArray, tuple[EstimateGroup, ...]]:
    """Return the durations every iteration starts from and the groups to sample."""
    scheduled = network.plan.scheduled
    items = []
    for activity in project.activities:
        position = network.positions.get(activity.id)
        if position is None or not scheduled[position]:
            continue
        if activity.duration_estimate is not None:
            field = f"duration_estimate of activity {activity.code or activity.id}"
            items.append((position, _checked(activity.duration_estimate, field)))
        elif spread > 0.0 and network.remaining_hours[position] > 0.0:
            items.append((position, _spread(float(network.remaining_hours[position]), spread)))
    groups, fixed = _split(items)
    base = network.remaining_hours.copy()
    for position, value in fixed:
        base[position] = value
    return base, groups


def _cost_model(project: Project, spread: float) -> tuple[float, tuple[EstimateGroup, ...]]:
    """Return the cost every iteration shares and the groups of remaining costs to sample."""
    fixed_cost = 0.0
    items: list[_Item] = []
    for activity in project.activities:
        fixed_cost += activity.actual_cost
        open_work = activity.status is not ActivityStatus.COMPLETED
        if activity.cost_estimate is not None and open_work:
            field = f"cost_estimate of activity {activity.code or activity.id}"
            items.append((len(items), _checked(activity.cost_estimate, field)))
        elif spread > 0.0 and activity.remaining_cost > 0.0 and open_work:
            items.append((len(items), _spread(activity.remaining_cost, spread)))
        else:
            fixed_cost += activity.remaining_cost
    groups, fixed = _split(items)
    return fixed_cost + sum(value for _, value in fixed), groups


def _risk_model(project: Project, network: Network) -> RiskModel:
    known = {activity.id for activity in project.activities}
    open_risks = [r for r in project.risks if r.status.lower() not in _CLOSED_RISK_STATUSES]
    hits: list[tuple[int, int]] = []
    duration_items = []
    cost_items = []
    for index, risk in enumerate(open_risks):
        _check_risk(risk, known)
        if risk.duration_impact_hours is not None:
            field = f"duration_impact_hours of risk {risk.id}"
            duration_items.append((index, _checked(risk.duration_impact_hours, field)))
        if risk.cost_impact is not None:
            cost_items.append(
                (index, _checked(risk.cost_impact, f"cost_impact of risk {risk.id}"))
            )
        hits.extend(_hits(index, risk, network))
    duration_groups, fixed_durations = _split(duration_items)
    cost_groups, fixed_costs = _split(cost_items)
    return RiskModel(
        risk_ids=tuple(risk.id for risk in open_risks),
        probabilities=np.array([risk.probability for risk in open_risks], dtype=np.float64),
        duration_groups=duration_groups,
        fixed_duration_impacts=_values(len(open_risks), fixed_durations),
        cost_groups=cost_groups,
        fixed_cost_impacts=_values(len(open_risks), fixed_costs),
        hit_risks=np.array([risk for risk, _ in hits], dtype=np.int64),
        hit_positions=np.array([position for _, position in hits], dtype=np.int64),
        cost_multipliers=np.array(
            [max(1, len(risk.affected_activity_ids)) for risk in open_risks], dtype=np.float64
        ),
    )


def _values(size: int, pairs: Iterable[tuple[int, float]]) -> FloatArray:
    values = np.zeros(size, dtype=np.float64)
    for index, value in pairs:
        values[index] = value
    return values


def _check_risk(risk: Risk, known: set[str]) -> None:
    if not 0.0 <= risk.probability <= 1.0:
        raise SimulationInputError(
            f"risk {risk.id} ({risk.title}) needs a probability between 0 and 1",
            "probability",
            risk.probability,
        )
    for activity_id in risk.affected_activity_ids:
        if activity_id not in known:
            raise SimulationInputError(
                f"risk {risk.id} ({risk.title}) affects activity {activity_id!r}, which is "
                "not in the project; correct the risk register",
                "affected_activity_ids",
                activity_id,
            )


def _hits(index: int, risk: Risk, network: Network) -> list[tuple[int, int]]:
    if risk.duration_impact_hours is None:
        return []
    hits = []
    for activity_id in risk.affected_activity_ids:
        position = network.positions.get(activity_id)
        # Summary activities are outside the network and completed ones cannot slip.
        if position is not None and network.plan.scheduled[position]:
            hits.append((index, position))
        else:
            logger.debug("risk %s cannot delay activity %s", risk.id, activity_id)
    return hits


def _item_bounds(
    base: FloatArray, groups: Iterable[EstimateGroup]
) -> tuple[FloatArray, FloatArray]:
    low, high = base.copy(), base.copy()
    for group in groups:
        low[group.targets], high[group.targets] = group.bounds()
    return low, high


def _finish_bounds(
    network: Network, base: FloatArray, groups: tuple[EstimateGroup, ...], risks: RiskModel
) -> tuple[float, float]:
    """Return bounds on the project finish that hold in every iteration."""
    low, high = _item_bounds(base, groups)
    impact_low, impact_high = _item_bounds(risks.fixed_duration_impacts, risks.duration_groups)
    np.add.at(low, risks.hit_positions, np.minimum(impact_low[risks.hit_risks], 0.0))
    np.add.at(high, risks.hit_positions, np.maximum(impact_high[risks.hit_risks], 0.0))
    low, high = np.maximum(low, 0.0), np.maximum(high, 0.0)
    plan = network.plan
    lowest = project_finish(plan, early_times(plan, low[:, None], high[:, None]))
    highest = project_finish(plan, early_times(plan, high[:, None], low[:, None]))
    return float(reference_hours(plan, lowest)[0]), float(reference_hours(plan, highest)[0])


def _cost_bounds(
    fixed: float, groups: tuple[EstimateGroup, ...], risks: RiskModel
) -> tuple[float, float]:
    lowest = highest = fixed
    for group in groups:
        low, high = group.bounds()
        lowest += float(low.sum())
        highest += float(high.sum())
    impact_low, impact_high = _item_bounds(risks.fixed_cost_impacts, risks.cost_groups)
    lowest += float(np.sum(np.minimum(impact_low, 0.0) * risks.cost_multipliers))
    highest += float(np.sum(np.maximum(impact_high, 0.0) * risks.cost_multipliers))
    return lowest, highest
