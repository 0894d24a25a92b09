"""Report generation as Ray tasks: analyses fan out, the report actor writes the result.

``run_generation`` coordinates one report. It loads the project once into the object
store, runs earned value, CPM and the Monte Carlo chunks as parallel tasks, derives the
insights, composes the sections and hands the content to the report's actor, which
stores it as the document's first update. The job row follows each step.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import ray

from actors.errors import describe
from actors.insights_tasks import insights_on_ray
from actors.job_events import job_observer
from actors.registry import report_actor_handle
from actors.simulation_tasks import simulate_on_ray
from config import Settings
from config.logs import configure_logging, log_context
from earned_value import EarnedValueAnalysis, analyse
from insights import Insight
from reporting import ReportHeader, compose_report
from reporting.facts import build_facts
from reporting.monte_carlo import monte_carlo_view
from risk_analysis import (
    CpmResult,
    SimulationModel,
    SimulationResult,
    build_model,
    schedule_project,
)
from schedules.model import Project
from storage import (
    Conflict,
    Database,
    JobRepository,
    ProjectRepository,
    ReportRepository,
    ReportStatus,
)

logger = logging.getLogger(__name__)

# Relative spreads used where activities carry no three-point estimates; the API
# specification's example request uses the same values.
DEFAULT_SCHEDULE_UNCERTAINTY = 0.20
DEFAULT_BUDGET_UNCERTAINTY = 0.15
# The confidence levels of a generated report, as the API specification shows them.
DEFAULT_CONFIDENCE_LEVELS = (0.5, 0.8, 0.95)


@dataclass(frozen=True, slots=True)
class GenerationPlan:
    """What to generate; it crosses the Ray boundary, so it holds plain values only."""

    report_id: uuid.UUID
    job_id: uuid.UUID
    project_id: uuid.UUID
    report_month: str
    title: str
    description: str | None
    template_sections: tuple[str, ...]
    custom_sections: tuple[str, ...] = ()
    include_insights: bool = True
    include_monte_carlo: bool = True
    requested_by: str = ""
    iterations: int | None = None
    seed: int | None = None
    template_id: uuid.UUID | None = None
    # The template's own section titles, by section id.
    section_titles: tuple[tuple[str, str], ...] = ()

    @property
    def simulation_seed(self) -> int:
        """The plan's seed, else one derived from the report id, so reruns agree."""
        return self.seed if self.seed is not None else self.report_id.int % 2**32


@ray.remote(num_cpus=1)
def _earned_value_task(project: Project) -> EarnedValueAnalysis:
    return analyse(project)


@ray.remote(num_cpus=1)
def _schedule_task(project: Project) -> CpmResult:
    return schedule_project(project)


@ray.remote(num_cpus=1)
def _model_task(project: Project) -> SimulationModel:
    return build_model(
        project,
        schedule_uncertainty=DEFAULT_SCHEDULE_UNCERTAINTY,
        budget_uncertainty=DEFAULT_BUDGET_UNCERTAINTY,
    )


class _Generation:
    """One generation run, with the repositories it reports progress to."""

    def __init__(self, plan: GenerationPlan, settings: Settings) -> None:
        self.plan = plan
        self.settings = settings
        self.database = Database(settings.sqlalchemy_url)
        self.jobs = JobRepository(self.database, on_change=job_observer(settings))
        self.reports = ReportRepository(self.database)
        self.projects = ProjectRepository(self.database)

    def run(self) -> None:
        started = time.perf_counter()
        try:
            self._generate()
        except Conflict as error:
            # The job was cancelled (or finished elsewhere) while this run went on.
            self.reports.set_status(self.plan.report_id, ReportStatus.FAILED, error=str(error))
            logger.warning("report %s generation stopped: %s", self.plan.report_id, error)
        except Exception as error:
            message = describe(error)
            self.reports.set_status(self.plan.report_id, ReportStatus.FAILED, error=message)
            self.jobs.fail(self.plan.job_id, message)
            logger.error("report %s generation failed", self.plan.report_id, exc_info=error)
        else:
            logger.info(
                "report %s generated in %.2f s", self.plan.report_id, time.perf_counter() - started
            )
        finally:
            self.database.dispose()

    def _progress(self, fraction: float, message: str) -> None:
        self.jobs.progress(self.plan.job_id, fraction, message)

    def _generate(self) -> None:
        plan = self.plan
        self.jobs.start(plan.job_id)
        self._progress(0.05, "loading the project")
        project = self.projects.get(plan.project_id)
        warnings = self.projects.summary(plan.project_id).warnings
        project_ref = ray.put(project)
        earned_value_ref = _earned_value_task.remote(project_ref)
        schedule_ref = _schedule_task.remote(project_ref)
        simulation = self._simulate(project_ref) if plan.include_monte_carlo else None
        self._progress(0.85, "writing the report")
        earned_value: EarnedValueAnalysis = ray.get(earned_value_ref)
        cpm: CpmResult = ray.get(schedule_ref)
        facts = build_facts(
            project,
            report_month=plan.report_month,
            earned_value=earned_value,
            cpm=cpm,
            simulation=simulation,
            warnings=warnings,
        )
        insights: list[Insight] = insights_on_ray(facts) if plan.include_insights else []
        content = compose_report(
            self._header(),
            facts,
            section_ids=plan.template_sections + plan.custom_sections,
            insights=insights,
            monte_carlo=self._monte_carlo_view(simulation),
            earned_value=earned_value.to_dict(),
            titles=dict(plan.section_titles),
        )
        self._store(content)

    def _simulate(self, project_ref: Any) -> SimulationResult:
        iterations = self.plan.iterations or self.settings.monte_carlo_iterations

        def progress(done: int, total: int) -> None:
            self._progress(0.1 + 0.7 * done / total, f"simulated {done:,} of {total:,} iterations")

        return simulate_on_ray(
            _model_task.remote(project_ref),
            seed=self.plan.simulation_seed,
            iterations=iterations,
            confidence_levels=DEFAULT_CONFIDENCE_LEVELS,
            progress=progress,
        )

    def _monte_carlo_view(self, simulation: SimulationResult | None) -> dict[str, Any] | None:
        if simulation is None:
            return None
        return monte_carlo_view(simulation, seed=self.plan.simulation_seed)

    def _header(self) -> ReportHeader:
        plan = self.plan
        return ReportHeader(
            report_id=str(plan.report_id),
            project_id=str(plan.project_id),
            title=plan.title,
            description=plan.description,
            report_month=plan.report_month,
            template_id=str(plan.template_id) if plan.template_id else None,
            generated_at=datetime.now(UTC),
        )

    def _store(self, content: dict[str, Any]) -> None:
        plan = self.plan
        actor = report_actor_handle(plan.report_id, self.settings)
        version: int = ray.get(actor.write_generated.remote(content))
        summary = {
            "key_metrics": content["metrics"]["key_metrics"],
            "sections": [section["section_id"] for section in content["sections"]],
            "insights": len(content["insights"]),
        }
        self.reports.complete(plan.report_id, summary=summary)
        self.reports.touch(plan.report_id, version=version)
        self.jobs.complete(
            plan.job_id, result={"report_id": str(plan.report_id), "version": version}
        )


@ray.remote(num_cpus=0, max_retries=0)
def run_generation(plan: GenerationPlan, settings: Settings) -> None:
    """Generate one report; failures are recorded on the report and its job."""
    configure_logging(settings)
    with log_context(report_id=plan.report_id, job_id=plan.job_id):
        _Generation(plan, settings).run()
