"""The report facts of the bundled sample project, built once per test session."""

from __future__ import annotations

from functools import cache

from earned_value import analyse
from insights import ReportFacts
from reporting.facts import build_facts
from risk_analysis import schedule_project
from schedules import import_schedule, sample_project_bytes


@cache
def sample_facts() -> ReportFacts:
    """Return the facts of the sample project for July 2025, without a simulation."""
    result = import_schedule(sample_project_bytes(), "sample.json", max_bytes=10**7)
    project = result.project
    return build_facts(
        project,
        report_month="2025-07",
        earned_value=analyse(project),
        cpm=schedule_project(project),
        simulation=None,
        warnings=result.warnings,
    )
