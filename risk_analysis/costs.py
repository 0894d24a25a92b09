"""Cost at completion: actual cost plus remaining cost sampled per activity, tied to duration.

Actual cost is fixed. Each open activity's remaining cost is an item drawn from its cost
estimate, else spread by the budget uncertainty, else fixed.

Time-dependent cost follows duration. The share of an activity's remaining cost carried by
its labour and non-labour (equipment) resource assignments is multiplied, in each iteration,
by the ratio of the sampled remaining duration (risk impacts included) to the scheduled
remaining duration. Material and expense costs, and the cost of activities without resource
assignments, do not move with duration. A level-of-effort activity's remaining cost is all
time-dependent and follows the ratio of the simulated remaining project duration to the
scheduled one, both in working hours of the reference calendar.

Reduced resource availability stretches durations but leaves the work, and so the cost,
unchanged: the ratio is taken before that stretch.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from risk_analysis.errors import SimulationInputError
from risk_analysis.estimates import (
    EstimateGroup,
    checked,
    item_bounds,
    remaining_share,
    scaled,
    split,
    spread_estimate,
)
from risk_analysis.network import Network
from schedules.model import Activity, ActivityStatus, ActivityType, Project, ThreePointEstimate

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Resource types whose cost is paid per hour worked.
TIME_DEPENDENT_RESOURCE_TYPES = frozenset({"labor", "nonlabor"})


@dataclass(frozen=True, slots=True, eq=False)
class CostModel:
    """Remaining cost items and how each follows the sampled durations.

    ``fixed_cost`` is the actual cost plus every remaining cost that neither varies nor
    follows duration. Item ``i`` belongs to ``activity_ids[i]`` and is worth ``base[i]``
    unless a group samples it. ``time_share`` is the part that follows duration: the
    duration at network position ``positions[i]``, or the project duration where
    ``follows_project`` is set (``positions`` is -1 then).
    """

    fixed_cost: float
    activity_ids: tuple[str, ...]
    base: FloatArray
    groups: tuple[EstimateGroup, ...]
    positions: IntArray
    time_share: FloatArray
    follows_project: BoolArray

    @property
    def size(self) -> int:
        return len(self.activity_ids)

    def sampled_items(self) -> IntArray:
        """Return the items some group samples, in ascending order."""
        if not self.groups:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate([group.targets for group in self.groups]))


def build_cost_model(project: Project, network: Network, spread: float) -> CostModel:
    """Split the project's cost into a fixed part and items to sample.

    Raise SimulationInputError naming the activity for an invalid cost estimate or a cost
    that is not a finite number.
    """
    _check_costs(project)
    shares = _time_shares(project)
    fixed_cost = 0.0
    items: list[tuple[Activity, ThreePointEstimate | None, float]] = []
    for activity in project.activities:
        fixed_cost += activity.actual_cost
        estimate = _estimate(activity, spread)
        share = shares.get(activity.id, 0.0)
        if estimate is None and share == 0.0:
            fixed_cost += activity.remaining_cost if _open(activity) else 0.0
            continue
        items.append((activity, estimate, share))
    groups, constant = split(
        (index, estimate) for index, (_, estimate, _) in enumerate(items) if estimate is not None
    )
    base = np.array([activity.remaining_cost for activity, _, _ in items], dtype=np.float64)
    for index, value in constant:
        base[index] = value
    loe = np.array([a.type is ActivityType.LEVEL_OF_EFFORT for a, _, _ in items], np.bool_)
    return CostModel(
        fixed_cost=fixed_cost,
        activity_ids=tuple(activity.id for activity, _, _ in items),
        base=base,
        groups=groups,
        positions=np.array(
            [network.positions.get(activity.id, -1) for activity, _, _ in items], np.int64
        ),
        time_share=np.array([share for _, _, share in items], dtype=np.float64),
        follows_project=loe,
    )


def _check_costs(project: Project) -> None:
    for activity in project.activities:
        for name in ("budgeted_cost", "actual_cost", "remaining_cost"):
            value = getattr(activity, name)
            if not math.isfinite(value):
                raise SimulationInputError(
                    "a cost must be a finite number; correct the activity's costs",
                    f"{name} of activity {activity.code or activity.id}",
                    value,
                )
    for assignment in project.assignments:
        if not math.isfinite(assignment.remaining_cost):
            raise SimulationInputError(
                "a cost must be a finite number; correct the assignment's costs",
                f"remaining_cost of assignment {assignment.id} on activity "
                f"{assignment.activity_id}",
                assignment.remaining_cost,
            )


def _open(activity: Activity) -> bool:
    return activity.status is not ActivityStatus.COMPLETED


def _estimate(activity: Activity, spread: float) -> ThreePointEstimate | None:
    if not _open(activity):
        return None
    if activity.cost_estimate is not None:
        whole = checked(activity.cost_estimate, f"cost_estimate of activity {activity.code}")
        # NOTE: a budget far below the remaining cost (inconsistent data) scales the estimate
        # up by the same factor, without a warning.
        return scaled(whole, remaining_share(activity.remaining_cost, activity.budgeted_cost))
    if spread > 0.0 and activity.remaining_cost > 0.0:
        return spread_estimate(activity.remaining_cost, spread)
    return None


def _time_shares(project: Project) -> dict[str, float]:
    """Return, per open activity, the share of its remaining cost that follows duration."""
    types = {resource.id: resource.type for resource in project.resources}
    timed: dict[str, float] = defaultdict(float)
    for assignment in project.assignments:
        if types.get(assignment.resource_id or "") in TIME_DEPENDENT_RESOURCE_TYPES:
            timed[assignment.activity_id] += assignment.remaining_cost
    shares: dict[str, float] = {}
    for activity in project.activities:
        if not _open(activity) or activity.remaining_cost <= 0.0:
            continue
        if activity.type is ActivityType.LEVEL_OF_EFFORT:
            shares[activity.id] = 1.0
        elif activity.id in timed:
            shares[activity.id] = min(max(timed[activity.id] / activity.remaining_cost, 0.0), 1.0)
    return shares


def duration_ratios(
    model: CostModel, scheduled: FloatArray, durations: npt.NDArray[np.floating]
) -> FloatArray:
    """Return, per item and iteration, the sampled over the scheduled remaining duration.

    ``durations`` are network durations (activities x iterations) before any availability
    stretch. Items without a network duration, level-of-effort ones included, get 1: the
    caller sets the project ratio on ``follows_project`` items once the finish is known.
    """
    ratios = np.ones((model.size, durations.shape[1]), dtype=np.float64)
    in_network = np.flatnonzero((model.positions >= 0) & (model.time_share > 0.0))
    positions = model.positions[in_network]
    with_duration = scheduled[positions] > 0.0
    chosen, positions = in_network[with_duration], positions[with_duration]
    ratios[chosen] = durations[positions] / scheduled[positions][:, None]
    return ratios


def total_cost(model: CostModel, values: FloatArray, ratios: FloatArray) -> FloatArray:
    """Return the cost of each iteration from sampled item values and duration ratios."""
    share = model.time_share[:, None]
    factors = 1.0 - share + share * ratios
    return np.asarray(model.fixed_cost + np.sum(values * factors, axis=0), dtype=np.float64)


def cost_bounds(
    model: CostModel,
    ratio_bounds: tuple[FloatArray, FloatArray],
    extra: Sequence[float],
) -> tuple[float, float]:
    """Return bounds on total cost given per-item ratio bounds and (low, high) extra cost."""
    low_value, high_value = item_bounds(model.base, model.groups)
    share = model.time_share
    factors = [1.0 - share + share * ratio for ratio in ratio_bounds]
    products = np.stack(
        [value * factor for value in (low_value, high_value) for factor in factors]
    )
    lowest = model.fixed_cost + float(products.min(axis=0).sum()) + extra[0]
    highest = model.fixed_cost + float(products.max(axis=0).sum()) + extra[1]
    return lowest, highest
