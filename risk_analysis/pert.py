"""The analytic PERT method: one critical path, summed means and variances, a normal law.

Each activity with a three-point estimate (a, m, b) takes the PERT mean (a + 4 m + b) / 6
and the classical variance ((b - a) / 6)^2, whatever distribution the estimate names;
activities without one keep their remaining duration with no variance. CPM on the means
gives the critical path, and the project duration is taken as normal with the path's summed
mean and variance. Ignoring the other paths is what makes this method optimistic (merge
bias), which a full Monte Carlo on the network shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from risk_analysis.cpm import compute_cpm
from risk_analysis.errors import SimulationInputError
from risk_analysis.network import build_network
from schedules.model import Project


@dataclass(frozen=True, slots=True)
class PertEstimate:
    """Project duration as a normal law, in working hours from the data date."""

    mean_hours: float
    standard_deviation_hours: float
    critical_path: tuple[str, ...]

    def probability_by(self, offset_hours: float) -> float:
        """Return the chance of finishing within ``offset_hours`` of the data date."""
        if self.standard_deviation_hours == 0.0:
            return 1.0 if offset_hours >= self.mean_hours else 0.0
        return NormalDist(self.mean_hours, self.standard_deviation_hours).cdf(offset_hours)

    def offset_for(self, confidence: float) -> float:
        """Return the finish offset met with probability ``confidence``."""
        if not 0.0 < confidence < 1.0:
            raise SimulationInputError(
                "confidence must lie strictly between 0 and 1", "confidence", confidence
            )
        if self.standard_deviation_hours == 0.0:
            return self.mean_hours
        return NormalDist(self.mean_hours, self.standard_deviation_hours).inv_cdf(confidence)


def pert_estimate(project: Project) -> PertEstimate:
    """Apply the PERT method to the project's remaining work."""
    network = build_network(project)
    means = network.remaining_hours.copy()
    variances = np.zeros(network.size)
    for activity in project.activities:
        position = network.positions.get(activity.id)
        estimate = activity.duration_estimate
        if position is None or estimate is None or not network.plan.scheduled[position]:
            continue
        low, mode, high = estimate.optimistic, estimate.most_likely, estimate.pessimistic
        means[position] = (low + 4 * mode + high) / 6
        variances[position] = ((high - low) / 6) ** 2
    result = compute_cpm(network, means)
    # Where critical paths tie, the textbook method takes the one with the largest variance.
    path = result.driving_path(variances)
    variance = math.fsum(variances[network.position(activity_id)] for activity_id in path)
    return PertEstimate(result.project_finish_hours, math.sqrt(variance), path)
