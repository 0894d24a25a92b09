"""The risk register as arrays: probabilities, impact estimates and the activities hit.

Risk events occur with their probability in each iteration, independently. An occurring
risk adds one sampled duration impact to each affected activity and one sampled cost impact
per affected activity (once when it names none), as schedules.model.Risk states.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from risk_analysis.errors import SimulationInputError
from risk_analysis.estimates import EstimateGroup, checked, split, values_at
from risk_analysis.network import Network
from schedules.model import Project, Risk

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# NOTE: only this status (in any letter case) takes a risk out of the simulation.
CLOSED_RISK_STATUSES = frozenset({"closed"})


@dataclass(frozen=True, slots=True, eq=False)
class RiskModel:
    """Open risks: probabilities, impact estimates and the activities they hit.

    Impacts without spread sit in the ``fixed_*`` arrays (zero for the others). ``hit_risks``
    and ``hit_positions`` pair a risk index with a network position whose duration it
    extends. ``cost_multipliers`` counts how often a risk's cost impact is added.
    """

    risk_ids: tuple[str, ...]
    titles: tuple[str, ...]
    probabilities: FloatArray
    duration_groups: tuple[EstimateGroup, ...]
    fixed_duration_impacts: FloatArray
    cost_groups: tuple[EstimateGroup, ...]
    fixed_cost_impacts: FloatArray
    hit_risks: IntArray
    hit_positions: IntArray
    cost_multipliers: FloatArray
    has_cost: npt.NDArray[np.bool_]

    @property
    def size(self) -> int:
        return len(self.risk_ids)


def build_risk_model(project: Project, network: Network) -> RiskModel:
    """Check the open risks of the project and turn them into arrays.

    Raise SimulationInputError for a probability outside [0, 1], an invalid impact or an
    affected activity the project does not have.
    """
    known = {activity.id for activity in project.activities}
    open_risks = [r for r in project.risks if r.status.lower() not in CLOSED_RISK_STATUSES]
    hits: list[tuple[int, int]] = []
    duration_items = []
    cost_items = []
    for index, risk in enumerate(open_risks):
        _check_risk(risk, known)
        if risk.duration_impact_hours is not None:
            field = f"duration_impact_hours of risk {risk.id}"
            duration_items.append((index, checked(risk.duration_impact_hours, field)))
        if risk.cost_impact is not None:
            cost_items.append((index, checked(risk.cost_impact, f"cost_impact of risk {risk.id}")))
        hits.extend(_hits(index, risk, network))
    duration_groups, fixed_durations = split(duration_items)
    cost_groups, fixed_costs = split(cost_items)
    return RiskModel(
        risk_ids=tuple(risk.id for risk in open_risks),
        titles=tuple(risk.title for risk in open_risks),
        probabilities=np.array([risk.probability for risk in open_risks], dtype=np.float64),
        duration_groups=duration_groups,
        fixed_duration_impacts=values_at(len(open_risks), fixed_durations),
        cost_groups=cost_groups,
        fixed_cost_impacts=values_at(len(open_risks), fixed_costs),
        hit_risks=np.array([risk for risk, _ in hits], dtype=np.int64),
        hit_positions=np.array([position for _, position in hits], dtype=np.int64),
        cost_multipliers=np.array(
            [max(1, len(risk.affected_activity_ids)) for risk in open_risks], dtype=np.float64
        ),
        has_cost=np.array([risk.cost_impact is not None for risk in open_risks], dtype=np.bool_),
    )


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
