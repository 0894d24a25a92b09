"""A Monte Carlo analysis of a report, run as a job: simulate, then store in the document."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import ray

from actors.errors import describe
from actors.job_events import job_observer
from actors.registry import report_actor_handle
from actors.simulation_tasks import simulate_on_ray
from config import Settings
from config.logs import configure_logging, log_context
from reporting.monte_carlo import monte_carlo_view
from risk_analysis import SimulationModel, build_model
from schedules.model import Project
from storage import Conflict, Database, JobRepository, ProjectRepository

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SimulationPlan:
    """A requested analysis; plain values only, because it crosses the Ray boundary."""

    report_id: uuid.UUID
    job_id: uuid.UUID
    project_id: uuid.UUID
    analysis_type: str  # budget_variance, schedule or both
    iterations: int
    confidence_levels: tuple[float, ...]
    schedule_uncertainty: float
    budget_uncertainty: float
    resource_availability: float
    seed: int
    requested_by: str


@ray.remote(num_cpus=1)
def _model_task(project: Project, plan: SimulationPlan) -> SimulationModel:
    return build_model(
        project,
        schedule_uncertainty=plan.schedule_uncertainty,
        budget_uncertainty=plan.budget_uncertainty,
        resource_availability=plan.resource_availability,
    )


# Parts of the analysis view left out for each analysis type.
_DROPPED_BY_TYPE = {
    "budget_variance": (
        "schedule_completion",
        "schedule",
        "deterministic_finish",
        "criticality",
        "criticality_index",
    ),
    "schedule": ("budget_completion", "cost"),
}
# The sensitivity rankings kept for each analysis type; "both" keeps both.
_DRIVERS_BY_TYPE = {"budget_variance": ("cost",), "schedule": ("finish",)}


def analysis_view(plan: SimulationPlan, view: dict[str, Any]) -> dict[str, Any]:
    """Keep the parts of the analysis the request asked for, and record the request."""
    dropped = _DROPPED_BY_TYPE.get(plan.analysis_type, ())
    view = {key: value for key, value in view.items() if key not in dropped}
    rankings = _DRIVERS_BY_TYPE.get(plan.analysis_type)
    if rankings is not None and isinstance(view.get("sensitivity"), dict):
        view["sensitivity"] = {
            key: value
            for key, value in view["sensitivity"].items()
            if key not in ("finish", "cost") or key in rankings
        }
    view["analysis_type"] = plan.analysis_type
    view["parameters"] = {
        "schedule_uncertainty": plan.schedule_uncertainty,
        "budget_uncertainty": plan.budget_uncertainty,
        "resource_availability": plan.resource_availability,
    }
    view["confidence_levels"] = list(plan.confidence_levels)
    view["requested_by"] = plan.requested_by
    return view


class _Run:
    def __init__(self, plan: SimulationPlan, settings: Settings) -> None:
        self.plan = plan
        self.settings = settings
        self.database = Database(settings.sqlalchemy_url)
        self.jobs = JobRepository(self.database, on_change=job_observer(settings))

    def run(self) -> None:
        started = time.perf_counter()
        try:
            self._simulate()
        except Conflict as error:
            logger.info("simulation job %s stopped: %s", self.plan.job_id, error)
        except Exception as error:
            self.jobs.fail(self.plan.job_id, describe(error))
            logger.error("simulation job %s failed", self.plan.job_id, exc_info=error)
        else:
            logger.info(
                "simulation job %s: %d iterations in %.2f s",
                self.plan.job_id,
                self.plan.iterations,
                time.perf_counter() - started,
            )
        finally:
            self.database.dispose()

    def _progress(self, done: int, total: int) -> None:
        # JobRepository.progress raises Conflict once the job was cancelled, which stops
        # simulate_on_ray and cancels its remaining tasks.
        self.jobs.progress(
            self.plan.job_id, 0.05 + 0.9 * done / total, f"{done:,} of {total:,} iterations"
        )

    def _simulate(self) -> None:
        plan = self.plan
        self.jobs.start(plan.job_id)
        project = ProjectRepository(self.database).get(plan.project_id)
        model_ref = _model_task.remote(project, plan)
        result = simulate_on_ray(
            model_ref,
            seed=plan.seed,
            iterations=plan.iterations,
            confidence_levels=plan.confidence_levels,
            progress=self._progress,
        )
        view = monte_carlo_view(result, seed=plan.seed)
        analysis = analysis_view(plan, view)
        actor = report_actor_handle(plan.report_id, self.settings)
        # NOTE: only the Monte Carlo figures change. Section texts written at generation
        # still quote the report's own simulation until the report is generated again.
        version = ray.get(actor.set_monte_carlo.remote(analysis, plan.requested_by))
        summary = {
            key: analysis[key]
            for key in ("budget_completion", "schedule_completion")
            if key in analysis
        }
        self.jobs.complete(
            plan.job_id, result={"report_id": str(plan.report_id), "version": version, **summary}
        )


@ray.remote(num_cpus=0, max_retries=0)
def run_simulation(plan: SimulationPlan, settings: Settings) -> None:
    """Run one requested Monte Carlo analysis; failures are recorded on its job."""
    configure_logging(settings)
    with log_context(report_id=plan.report_id, job_id=plan.job_id):
        _Run(plan, settings).run()
