"""Three-point estimates grouped by distribution kind, the unit every sampler draws from.

Without an estimate a remaining value R with relative spread s becomes triangular
(R (1 - s / 2), R, R (1 + s)): skewed late, with the pessimistic side twice as wide as the
optimistic one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from risk_analysis import distributions
from risk_analysis.errors import SimulationInputError
from schedules.model import Distribution, ThreePointEstimate

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_RELATIVE_SPREAD = 2.0

Item = tuple[int, ThreePointEstimate]


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


def check_spread(field: str, value: float) -> None:
    """Raise SimulationInputError unless a relative spread lies in [0, MAX_RELATIVE_SPREAD]."""
    if not 0.0 <= value <= MAX_RELATIVE_SPREAD:
        raise SimulationInputError(
            f"a relative spread must lie between 0 and {MAX_RELATIVE_SPREAD} "
            "(0.2 means -10 % to +20 % around the remaining value)",
            field,
            value,
        )


def checked(estimate: ThreePointEstimate, field: str) -> ThreePointEstimate:
    """Return the estimate, or raise SimulationInputError naming ``field`` when invalid."""
    try:
        distributions.validate(
            estimate.distribution, estimate.optimistic, estimate.most_likely, estimate.pessimistic
        )
    except SimulationInputError as error:
        raise SimulationInputError(error.message, field, error.value) from error
    return estimate


def scaled(estimate: ThreePointEstimate, factor: float) -> ThreePointEstimate:
    """Return the estimate with every point multiplied by ``factor``.

    A project's three-point estimates describe the whole activity; the simulation samples
    the remaining work, so a started activity's estimate is scaled by its remaining share.
    """
    return ThreePointEstimate(
        estimate.optimistic * factor,
        estimate.most_likely * factor,
        estimate.pessimistic * factor,
        estimate.distribution,
    )


def remaining_share(remaining: float, whole: float) -> float:
    """Return remaining / whole, or 1 when the whole is unknown (zero or negative)."""
    if whole <= 0.0:
        return 1.0
    return max(remaining, 0.0) / whole


def spread_estimate(value: float, spread: float) -> ThreePointEstimate:
    """Return the triangular estimate of a remaining value with a relative spread."""
    return ThreePointEstimate(value * (1 - spread / 2), value, value * (1 + spread))


def split(items: Iterable[Item]) -> tuple[tuple[EstimateGroup, ...], list[tuple[int, float]]]:
    """Group (target, estimate) pairs by kind; estimates without spread come back as values."""
    by_kind: dict[Distribution, list[Item]] = defaultdict(list)
    fixed = []
    for target, estimate in items:
        if estimate.optimistic == estimate.pessimistic:
            fixed.append((target, estimate.optimistic))
        else:
            by_kind[estimate.distribution].append((target, estimate))
    groups = tuple(group(kind, by_kind[kind]) for kind in Distribution if by_kind.get(kind))
    return groups, fixed


def group(kind: Distribution, items: list[Item]) -> EstimateGroup:
    """Return one group of items of the same kind."""
    return EstimateGroup(
        kind=kind,
        targets=np.array([target for target, _ in items], dtype=np.int64),
        low=np.array([estimate.optimistic for _, estimate in items], dtype=np.float64),
        mode=np.array([estimate.most_likely for _, estimate in items], dtype=np.float64),
        high=np.array([estimate.pessimistic for _, estimate in items], dtype=np.float64),
    )


def values_at(size: int, pairs: Iterable[tuple[int, float]]) -> FloatArray:
    """Return ``size`` zeros with each (index, value) pair written in."""
    values = np.zeros(size, dtype=np.float64)
    for index, value in pairs:
        values[index] = value
    return values


def item_bounds(
    base: FloatArray, groups: Iterable[EstimateGroup]
) -> tuple[FloatArray, FloatArray]:
    """Return the lowest and highest value of every item: ``base`` unless a group samples it."""
    low, high = base.copy(), base.copy()
    for entry in groups:
        low[entry.targets], high[entry.targets] = entry.bounds()
    return low, high


def draw(
    groups: Iterable[EstimateGroup], values: npt.NDArray[np.floating], rng: np.random.Generator
) -> None:
    """Overwrite the rows of ``values`` (items x iterations) that the groups sample."""
    for entry in groups:
        if entry.kind is Distribution.TRIANGULAR and values.dtype == np.float32:
            distributions.triangular_into(
                values, entry.targets, entry.low, entry.mode, entry.high, rng
            )
            continue
        draws = distributions.sample(
            entry.kind, entry.low, entry.mode, entry.high, values.shape[1], rng, values.dtype.type
        )
        values[entry.targets] = draws.T
