"""Monte Carlo simulation of a project's finish date and cost on its schedule network.

``simulate`` runs every chunk in this process. A caller that fans chunks out (Ray tasks)
does the same three steps itself: ``build_model`` once, ``run_chunk`` for each
``plan_chunks`` entry wherever it likes, and ``merge`` on the aggregates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from risk_analysis.chunks import DEFAULT_CHUNK_SIZE, plan_chunks, run_chunk
from risk_analysis.correlation import CorrelationSpec
from risk_analysis.results import (
    DEFAULT_CONFIDENCE_LEVELS,
    DEFAULT_DISPLAY_BINS,
    DEFAULT_TOP_ACTIVITIES,
    SimulationResult,
    check_confidence_levels,
    merge,
)
from risk_analysis.sensitivity import DEFAULT_SENSITIVITY_ITERATIONS, DEFAULT_TOP_DRIVERS
from risk_analysis.uncertainty import DEFAULT_BINS, build_model
from schedules import import_schedule, sample_project_bytes
from schedules.model import Project

logger = logging.getLogger(__name__)


def simulate(
    project: Project,
    *,
    iterations: int,
    seed: int,
    schedule_uncertainty: float,
    budget_uncertainty: float,
    resource_availability: float = 1.0,
    correlations: Sequence[CorrelationSpec] = (),
    confidence_levels: Sequence[float] = DEFAULT_CONFIDENCE_LEVELS,
    critical_threshold_hours: float = 0.0,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    bins: int = DEFAULT_BINS,
    display_bins: int = DEFAULT_DISPLAY_BINS,
    top_activities: int = DEFAULT_TOP_ACTIVITIES,
    top_drivers: int = DEFAULT_TOP_DRIVERS,
    sensitivity_iterations: int = DEFAULT_SENSITIVITY_ITERATIONS,
) -> SimulationResult:
    """Simulate ``iterations`` schedules of the remaining work and summarise finish and cost.

    The same project, seed, iterations and chunk size give the same result, however the
    chunks are distributed. ``schedule_uncertainty`` and ``budget_uncertainty`` are the
    relative spreads used where an activity has no three-point estimate, and
    ``resource_availability`` stretches resource-loaded work (see uncertainty.py).
    """
    check_confidence_levels(confidence_levels)
    started = time.perf_counter()
    model = build_model(
        project,
        schedule_uncertainty=schedule_uncertainty,
        budget_uncertainty=budget_uncertainty,
        resource_availability=resource_availability,
        correlations=correlations,
        critical_threshold_hours=critical_threshold_hours,
        bins=bins,
        sensitivity_iterations=sensitivity_iterations,
    )
    chunks = plan_chunks(seed, iterations, chunk_size)
    aggregates = [run_chunk(model, chunk.seed, chunk.size) for chunk in chunks]
    result = merge(
        model,
        aggregates,
        confidence_levels=confidence_levels,
        display_bins=display_bins,
        top_activities=top_activities,
        top_drivers=top_drivers,
    )
    logger.info(
        "simulated %d iterations of project %s (%d activities) in %.2f s",
        iterations,
        project.name,
        model.network.size,
        time.perf_counter() - started,
    )
    return result


def prepare_kernels() -> float:
    """Simulate the bundled sample project briefly, so the compiled kernels are ready.

    The first call after installation compiles the Numba kernels, about 6 s on a 2-core
    machine, and writes them to their disk cache. Later processes load them from there in
    under half a second. Returns the seconds it took.
    """
    started = time.perf_counter()
    sample = sample_project_bytes()
    project = import_schedule(sample, "sample-project.json", max_bytes=len(sample)).project
    simulate(project, iterations=20, seed=0, schedule_uncertainty=0.2, budget_uncertainty=0.1)
    seconds = time.perf_counter() - started
    logger.info("simulation kernels ready in %.1f s", seconds)
    return seconds
