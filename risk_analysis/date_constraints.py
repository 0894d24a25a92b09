"""Date constraints as bounds on early and late times, the way Primavera P6 applies them.

Each bound is in working hours of the activity's own calendar from the data date.

- Start on or after, and start on: the early start is at least the date.
- Finish on or after, and finish on: the early finish is at least the date.
- Start on or before, and start on: the late start is at most the date.
- Finish on or before, and finish on: the late finish is at most the date.
- Mandatory start or finish: both the early and the late date equal the constraint date,
  whatever the logic requires.

Logic wins over the soft constraints: an activity that its predecessors push past a
"start on" date starts later, and its float turns negative. Start constraints apply to
activities that have not started; finish constraints to all that are not complete.

"As late as possible" moves a not-started activity's early dates later by its free float,
which delays no successor and so changes neither the project finish nor other activities'
dates. ``as_late_as_possible`` marks those activities; the deterministic CPM applies it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from schedules.constraints import ConstraintType
from schedules.model import Activity, ActivityStatus

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

_EARLY_START = frozenset({ConstraintType.START_ON_OR_AFTER, ConstraintType.START_ON})
_EARLY_FINISH = frozenset({ConstraintType.FINISH_ON_OR_AFTER, ConstraintType.FINISH_ON})
_LATE_START = frozenset({ConstraintType.START_ON_OR_BEFORE, ConstraintType.START_ON})
_LATE_FINISH = frozenset({ConstraintType.FINISH_ON_OR_BEFORE, ConstraintType.FINISH_ON})
_START_TYPES = _EARLY_START | _LATE_START | {ConstraintType.MANDATORY_START}


@dataclass(frozen=True, slots=True, eq=False)
class DateConstraints:
    """Per network position: bounds from constraint dates; -inf, +inf or NaN where none.

    ``start_floor`` and ``finish_floor`` bound early dates from below, ``start_cap`` and
    ``finish_cap`` late dates from above. ``mandatory_start`` and ``mandatory_finish`` fix
    both. ``ignored`` counts, by type, the constraints that the analysis does not apply
    because their type is unknown or they have no date.
    """

    start_floor: FloatArray
    finish_floor: FloatArray
    start_cap: FloatArray
    finish_cap: FloatArray
    mandatory_start: FloatArray
    mandatory_finish: FloatArray
    as_late_as_possible: npt.NDArray[np.bool_]
    ignored: dict[str, int]

    @property
    def count(self) -> int:
        """The number of constraints applied."""
        arrays = (self.start_floor, self.finish_floor, self.start_cap, self.finish_cap)
        bounded = sum(int(np.isfinite(values).sum()) for values in arrays)
        fixed = np.isfinite(self.mandatory_start) | np.isfinite(self.mandatory_finish)
        return bounded + int(fixed.sum()) + int(self.as_late_as_possible.sum())


def unconstrained(size: int) -> DateConstraints:
    """Return constraints that bound nothing, for ``size`` activities."""
    return DateConstraints(
        start_floor=np.full(size, -np.inf),
        finish_floor=np.full(size, -np.inf),
        start_cap=np.full(size, np.inf),
        finish_cap=np.full(size, np.inf),
        mandatory_start=np.full(size, np.nan),
        mandatory_finish=np.full(size, np.nan),
        as_late_as_possible=np.zeros(size, dtype=np.bool_),
        ignored={},
    )


def build_constraints(
    activities: Sequence[Activity],
    offsets_of: Callable[[Sequence[int], Sequence[datetime]], FloatArray],
) -> DateConstraints:
    """Turn the constraint of each activity (in network order) into bounds.

    ``offsets_of(positions, moments)`` returns each instant in working hours of the calendar
    of the activity at that position, from the data date.
    """
    result = unconstrained(len(activities))
    ignored: Counter[str] = Counter()
    chosen: list[tuple[int, ConstraintType, datetime]] = []
    for position, activity in enumerate(activities):
        if activity.constraint_type == ConstraintType.AS_LATE_AS_POSSIBLE:
            not_started = activity.status is ActivityStatus.NOT_STARTED
            result.as_late_as_possible[position] = not_started
            continue
        kind = _kind(activity)
        if kind is None or activity.constraint_date is None:
            if activity.constraint_type:
                ignored[activity.constraint_type] += 1
            continue
        if activity.status is ActivityStatus.COMPLETED or (
            kind in _START_TYPES and activity.status is ActivityStatus.IN_PROGRESS
        ):
            continue
        chosen.append((position, kind, activity.constraint_date))
    offsets = offsets_of([entry[0] for entry in chosen], [entry[2] for entry in chosen])
    for (position, kind, _), offset in zip(chosen, offsets, strict=True):
        _apply(result, position, kind, float(offset))
    if ignored:
        logger.warning(
            "date constraints of an unknown type or without a date were not applied: %s",
            dict(ignored),
        )
    return DateConstraints(
        start_floor=result.start_floor,
        finish_floor=result.finish_floor,
        start_cap=result.start_cap,
        finish_cap=result.finish_cap,
        mandatory_start=result.mandatory_start,
        mandatory_finish=result.mandatory_finish,
        as_late_as_possible=result.as_late_as_possible,
        ignored=dict(ignored),
    )


def _kind(activity: Activity) -> ConstraintType | None:
    if not activity.constraint_type:
        return None
    try:
        return ConstraintType(activity.constraint_type)
    except ValueError:
        return None


def _apply(result: DateConstraints, position: int, kind: ConstraintType, offset: float) -> None:
    if kind in _EARLY_START:
        result.start_floor[position] = offset
    if kind in _EARLY_FINISH:
        result.finish_floor[position] = offset
    if kind in _LATE_START:
        result.start_cap[position] = offset
    if kind in _LATE_FINISH:
        result.finish_cap[position] = offset
    if kind is ConstraintType.MANDATORY_START:
        result.mandatory_start[position] = offset
    if kind is ConstraintType.MANDATORY_FINISH:
        result.mandatory_finish[position] = offset
