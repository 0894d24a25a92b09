"""Insights as Ray tasks: one task per category, and regeneration for a stored report.

``insights_on_ray`` fans the categories out for facts already at hand (a generation run);
``run_insights`` rebuilds a stored report's facts (earned value and CPM again as tasks, the
simulation from the report's own Monte Carlo analysis), regenerates the requested insights,
cites the project passages behind each and writes them through the report's actor.
"""

from __future__ import annotations

import logging
import uuid
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ray

from actors.registry import report_actor_handle
from config import Settings
from earned_value import EarnedValueAnalysis, analyse
from insights import (
    Category,
    CriticalityFact,
    Insight,
    InsightOptions,
    InsightType,
    ReportFacts,
    SimulationFacts,
    category_insights,
    rank_insights,
)
from knowledge import Passage, PassageIndex, ProjectLibrary
from reporting.facts import build_facts
from risk_analysis import CpmResult, schedule_project
from schedules.model import Project
from storage import Database, ProjectRepository, ReportRepository

logger = logging.getLogger(__name__)

# Passages cited per insight.
_CITED_PASSAGES = 3


@dataclass(frozen=True, slots=True)
class InsightRequest:
    """What to regenerate; it crosses the Ray boundary, so it holds plain values only."""

    report_id: uuid.UUID
    types: tuple[InsightType, ...] | None = None
    categories: tuple[Category, ...] | None = None
    options: InsightOptions = field(default_factory=InsightOptions)
    requested_by: str = ""


@ray.remote(num_cpus=1)
def _category_task(
    facts: ReportFacts, category: Category, options: InsightOptions
) -> list[Insight]:
    return category_insights(facts, category, options)


@ray.remote(num_cpus=1)
def _earned_value_task(project: Project) -> EarnedValueAnalysis:
    return analyse(project)


@ray.remote(num_cpus=1)
def _schedule_task(project: Project) -> CpmResult:
    return schedule_project(project)


def insights_on_ray(
    facts: ReportFacts,
    options: InsightOptions | None = None,
    *,
    types: Sequence[InsightType] | None = None,
    categories: Sequence[Category] | None = None,
) -> list[Insight]:
    """Run each category as a Ray task and return the insights ranked, most urgent first."""
    chosen = options or InsightOptions()
    wanted = list(categories) if categories is not None else list(Category)
    facts_ref = ray.put(facts)
    references = [_category_task.remote(facts_ref, category, chosen) for category in wanted]
    found = [insight for batch in ray.get(references) for insight in batch]
    return rank_insights(found, types=types, categories=categories, focus=chosen.focus)


@dataclass(frozen=True, slots=True)
class LoadedReport:
    """A stored report with everything needed to rewrite it from its figures."""

    project_id: uuid.UUID
    project: Project
    facts: ReportFacts
    document: dict[str, Any]


def load_report(report_id: uuid.UUID, settings: Settings) -> LoadedReport:
    """Rebuild a completed report's facts: earned value and CPM as tasks, the simulation
    from the analysis stored in the report."""
    database = Database(settings.sqlalchemy_url)
    try:
        record = ReportRepository(database).get(report_id)
        projects = ProjectRepository(database)
        project = projects.get(record.project_id)
        warnings = projects.summary(record.project_id).warnings
    finally:
        database.dispose()
    project_ref = ray.put(project)
    earned_value_ref = _earned_value_task.remote(project_ref)
    schedule_ref = _schedule_task.remote(project_ref)
    document: dict[str, Any] = ray.get(report_actor_handle(report_id, settings).read.remote())
    cpm: CpmResult = ray.get(schedule_ref)
    facts = build_facts(
        project,
        report_month=record.report_month,
        earned_value=ray.get(earned_value_ref),
        cpm=cpm,
        simulation=None,
        warnings=warnings,
    )
    simulation = simulation_from_view(document.get("monte_carlo"), project)
    if simulation is not None:
        facts = _with_simulation(facts, simulation)
    return LoadedReport(record.project_id, project, facts, document)


def _with_simulation(facts: ReportFacts, simulation: SimulationFacts) -> ReportFacts:
    return ReportFacts(
        project_name=facts.project_name,
        currency=facts.currency,
        report_month=facts.report_month,
        earned_value=facts.earned_value,
        schedule=facts.schedule,
        simulation=simulation,
        risks=facts.risks,
        quality_warnings=facts.quality_warnings,
        resources=facts.resources,
    )


def _interpolate(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    if not xs:
        return 0.0
    position = bisect_left(xs, x)
    if position == 0:
        return ys[0] if x >= xs[0] else 0.0
    if position >= len(xs):
        return ys[-1]
    x0, x1, y0, y1 = xs[position - 1], xs[position], ys[position - 1], ys[position]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 != x0 else y1


def simulation_from_view(
    view: Mapping[str, Any] | None, project: Project
) -> SimulationFacts | None:
    """Rebuild the simulation facts from a report's stored Monte Carlo analysis.

    NOTE: the probabilities of staying within budget and of finishing on time are read off
    the stored S-curves by linear interpolation, so they are as fine as those curves (about
    a hundred points), not the exact counts of the original run.
    """
    if not view or not (view.get("cost") or view.get("schedule")):
        return None
    # A budget-only analysis stores no schedule figures, and a schedule-only one no cost.
    cost = view.get("cost") or {}
    budget = float(cost.get("budget_at_completion") or 0.0)
    curve = cost.get("s_curve") or []
    within = (
        _interpolate([p["value"] for p in curve], [p["probability"] for p in curve], budget)
        if curve
        else None
    )
    on_time = None
    finish_curve = [p for p in view.get("schedule", {}).get("s_curve", []) if p.get("date")]
    if project.planned_finish is not None and finish_curve:
        days = [date.fromisoformat(p["date"]).toordinal() for p in finish_curve]
        target = float(project.planned_finish.date().toordinal())
        on_time = _interpolate(days, [p["probability"] for p in finish_curve], target)
    deterministic = view.get("schedule", {}).get("deterministic_finish")
    return SimulationFacts(
        iterations=int(view.get("iterations", 0)),
        cost_ratio=dict(view.get("budget_completion", {})),
        finish={
            k: date.fromisoformat(v) for k, v in view.get("schedule_completion", {}).items() if v
        },
        mean_cost_ratio=float(cost.get("mean", 0.0)) / budget if budget else 0.0,
        deterministic_finish=date.fromisoformat(deterministic) if deterministic else None,
        probability_within_budget=within,
        probability_on_time=on_time,
        criticality=tuple(
            CriticalityFact(code=item["code"], name=item["name"], index=item["index"])
            for item in view.get("criticality", [])
        ),
    )


def cite_passages(
    insight: dict[str, Any],
    index: PassageIndex,
    hidden: Callable[[Passage], bool] | None = None,
) -> dict[str, Any]:
    """Add the project passages that best match an insight to its supporting data."""
    text = f"{insight['title']} {insight['content']}"
    hits = index.search(text, k=_CITED_PASSAGES, hidden=hidden)
    if hits:
        insight["supporting_data"]["passages"] = [hit.passage.citation() for hit in hits]
    return insight


@ray.remote(num_cpus=0, max_retries=0)
def run_insights(request: InsightRequest, settings: Settings) -> dict[str, Any]:
    """Regenerate a report's insights; return them with the document version written."""
    loaded = load_report(request.report_id, settings)
    insights = insights_on_ray(
        loaded.facts, request.options, types=request.types, categories=request.categories
    )
    database = Database(settings.sqlalchemy_url)
    try:
        library = ProjectLibrary(database)
        index = library.index(loaded.project_id, exclude_report=request.report_id)
        # The citations are stored in this report for all its readers, who need not take part
        # in another report's session, so no report with a session is cited.
        in_sessions = library.closed_to(loaded.project_id, None)
    finally:
        database.dispose()
    generated = [cite_passages(insight.to_dict(), index, in_sessions) for insight in insights]
    actor = report_actor_handle(request.report_id, settings)
    result: dict[str, Any] = ray.get(
        actor.merge_insights.remote(
            generated,
            types=[t.value for t in request.types] if request.types else None,
            categories=[c.value for c in request.categories] if request.categories else None,
            user=request.requested_by or "insights",
        )
    )
    logger.info(
        "report %s: %d insights regenerated for %s",
        request.report_id,
        len(generated),
        request.requested_by,
    )
    return result
