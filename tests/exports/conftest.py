"""A report document of the bundled sample project, composed without Ray."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from crdt import ReportDocument
from earned_value import analyse
from exports import Branding, ExportFormat, ExportRequest, ProjectData, palette, project_data
from exports.styling import Styling
from insights import generate_insights
from reporting import ReportHeader, compose_report
from reporting.facts import build_facts
from reporting.monte_carlo import monte_carlo_view
from risk_analysis import schedule_project, simulate
from schedules import import_schedule, sample_project_bytes

SECTIONS = (
    "executive_summary",
    "budget_analysis",
    "schedule_analysis",
    "earned_value_detail",
    "risk_assessment",
    "insights",
)
EXPORTED_AT = datetime(2025, 8, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def sample() -> tuple[dict[str, Any], ProjectData]:
    """The sample project's report as the report actor returns it, and its figures."""
    imported = import_schedule(sample_project_bytes(), max_bytes=10**8)
    project = imported.project
    earned_value = analyse(project)
    simulation = simulate(
        project, iterations=500, seed=11, schedule_uncertainty=0.2, budget_uncertainty=0.15
    )
    facts = build_facts(
        project,
        report_month="2025-07",
        earned_value=earned_value,
        cpm=schedule_project(project),
        simulation=simulation,
        warnings=imported.warnings,
    )
    content = compose_report(
        ReportHeader(
            "r",
            "p",
            "Footbridge: monthly report 2025-07",
            None,
            "2025-07",
            None,
            datetime(2025, 7, 31, tzinfo=UTC),
        ),
        facts,
        section_ids=SECTIONS,
        insights=generate_insights(facts),
        monte_carlo=monte_carlo_view(simulation, seed=11),
        earned_value=earned_value.to_dict(),
    )
    document = ReportDocument()
    document.set_meta(content["meta"])
    for section in content["sections"]:
        document.put_section(
            section["section_id"],
            title=section["title"],
            body=section["body"],
            order=section["order"],
            metrics=section["metrics"],
            ai_generated=section["ai_generated"],
            confidence_score=section["confidence_score"],
        )
    document.set_insights(content["insights"])
    document.set_monte_carlo(content["monte_carlo"])
    document.set_metrics(content["metrics"])
    return document.to_dict(), project_data(project)


def request(fmt: ExportFormat, **changes: Any) -> ExportRequest:
    values: dict[str, Any] = {
        "format": fmt,
        "template_name": "Detailed Monthly Report",
        "template_sections": SECTIONS,
        "styling": Styling(),
        "branding": Branding(palette("corporate_blue")),
        "sections": None,
        "include_charts": True,
        "include_raw_data": True,
        "exported_by": "pm@example.com",
        "exported_at": EXPORTED_AT,
    }
    values.update(changes)
    return ExportRequest(**values)
