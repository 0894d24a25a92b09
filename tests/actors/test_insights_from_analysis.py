"""Simulation facts rebuilt from each kind of stored Monte Carlo analysis, without Ray."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from actors.insights_tasks import simulation_from_view
from actors.monte_carlo_job import SimulationPlan, analysis_view
from insights import generate_insights
from reporting.monte_carlo import monte_carlo_view
from risk_analysis import simulate
from schedules import Project, import_schedule, sample_project_bytes
from tests.sample_facts import sample_facts


def stored_analysis(analysis_type: str) -> tuple[dict[str, Any], Project]:
    project = import_schedule(sample_project_bytes(), max_bytes=10**8).project
    result = simulate(
        project, iterations=300, seed=5, schedule_uncertainty=0.2, budget_uncertainty=0.15
    )
    plan = SimulationPlan(
        report_id=uuid.uuid4(),
        job_id=uuid.uuid4(),
        project_id=uuid.uuid4(),
        analysis_type=analysis_type,
        iterations=300,
        confidence_levels=(0.5, 0.8, 0.95),
        schedule_uncertainty=0.2,
        budget_uncertainty=0.15,
        resource_availability=1.0,
        seed=5,
        requested_by="pm@example.com",
    )
    return analysis_view(plan, monte_carlo_view(result, seed=5)), project


def test_budget_only_analysis_gives_cost_facts() -> None:
    view, project = stored_analysis("budget_variance")

    facts = simulation_from_view(view, project)

    assert facts is not None
    assert facts.finish == {}
    assert facts.probability_on_time is None
    assert set(facts.cost_ratio) >= {"p50", "p80"}
    assert facts.probability_within_budget is not None
    assert 0.0 <= facts.probability_within_budget <= 1.0


def test_schedule_only_analysis_gives_finish_facts() -> None:
    view, project = stored_analysis("schedule")

    facts = simulation_from_view(view, project)

    assert facts is not None
    assert "p80" in facts.finish
    assert facts.probability_within_budget is None
    assert facts.cost_ratio == {}


def test_full_analysis_gives_both() -> None:
    view, project = stored_analysis("both")

    facts = simulation_from_view(view, project)

    assert facts is not None
    assert "p80" in facts.finish
    assert facts.probability_within_budget is not None
    assert "p80" in facts.cost_ratio


@pytest.mark.parametrize("analysis_type", ["budget_variance", "schedule", "both"])
def test_insights_follow_any_analysis(analysis_type: str) -> None:
    view, project = stored_analysis(analysis_type)
    simulation = simulation_from_view(view, project)
    facts = dataclasses.replace(sample_facts(), simulation=simulation)

    titles = {insight.title for insight in generate_insights(facts)}

    assert ("Chance of exceeding the budget" in titles) == (analysis_type != "schedule")
