"""Date constraint names shared by every reader, and which of them DCMA counts as hard.

``Activity.constraint_type`` contains one of these values (or None for "as soon as possible").
"""

from __future__ import annotations

from enum import StrEnum


class ConstraintType(StrEnum):
    START_ON = "start_on"
    START_ON_OR_AFTER = "start_on_or_after"
    START_ON_OR_BEFORE = "start_on_or_before"
    FINISH_ON = "finish_on"
    FINISH_ON_OR_AFTER = "finish_on_or_after"
    FINISH_ON_OR_BEFORE = "finish_on_or_before"
    MANDATORY_START = "mandatory_start"
    MANDATORY_FINISH = "mandatory_finish"
    AS_LATE_AS_POSSIBLE = "as_late_as_possible"


# DCMA counts must-start-on, must-finish-on, start-no-later-than and finish-no-later-than
# as hard: each one can override the logic and hide float.
HARD_CONSTRAINTS = frozenset(
    {
        ConstraintType.START_ON,
        ConstraintType.FINISH_ON,
        ConstraintType.START_ON_OR_BEFORE,
        ConstraintType.FINISH_ON_OR_BEFORE,
        ConstraintType.MANDATORY_START,
        ConstraintType.MANDATORY_FINISH,
    }
)

# Primavera P6 cstr_type values.
P6_CONSTRAINTS = {
    "CS_MSO": ConstraintType.START_ON,
    "CS_MSOA": ConstraintType.START_ON_OR_AFTER,
    "CS_MSOB": ConstraintType.START_ON_OR_BEFORE,
    "CS_MEO": ConstraintType.FINISH_ON,
    "CS_MEOA": ConstraintType.FINISH_ON_OR_AFTER,
    "CS_MEOB": ConstraintType.FINISH_ON_OR_BEFORE,
    "CS_MANDSTART": ConstraintType.MANDATORY_START,
    "CS_MANDFIN": ConstraintType.MANDATORY_FINISH,
    "CS_ALAP": ConstraintType.AS_LATE_AS_POSSIBLE,
}

# Microsoft Project ConstraintType numbers. 0, "as soon as possible", is no constraint.
MSP_CONSTRAINTS = {
    1: ConstraintType.AS_LATE_AS_POSSIBLE,
    2: ConstraintType.START_ON,
    3: ConstraintType.FINISH_ON,
    4: ConstraintType.START_ON_OR_AFTER,
    5: ConstraintType.START_ON_OR_BEFORE,
    6: ConstraintType.FINISH_ON_OR_AFTER,
    7: ConstraintType.FINISH_ON_OR_BEFORE,
}
