"""Time PDF, Excel and slides exports of a real schedule's report and watch memory.

Usage: python bench/exports.py SCHEDULE.xer MONTH [--repeat N]

The report is composed in this process (no Ray), as the generation would write it, then
exported in each format; with --repeat the formats are exported N times in turn and the
resident memory is printed every 60 exports (20 rounds of three), to show whether it stays flat.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# This file's folder comes first on sys.path and its name would hide the exports package.
sys.path[:] = [entry for entry in sys.path if Path(entry).resolve() != Path(__file__).parent]

from crdt import ReportDocument
from earned_value import analyse
from exports import Branding, ExportFormat, ExportRequest, export_report, palette, project_data
from exports.styling import Styling
from insights import generate_insights
from reporting import ReportHeader, compose_report
from reporting.facts import build_facts
from reporting.monte_carlo import monte_carlo_view
from risk_analysis import schedule_project, simulate
from schedules import import_schedule

SECTIONS = (
    "executive_summary",
    "budget_analysis",
    "schedule_analysis",
    "earned_value_detail",
    "critical_path",
    "risk_assessment",
    "insights",
)


def report(path: Path, month: str) -> tuple[dict[str, Any], Any]:
    imported = import_schedule(path.read_bytes(), max_bytes=10**9)
    project = imported.project
    earned_value = analyse(project)
    simulation = simulate(
        project, iterations=2000, seed=7, schedule_uncertainty=0.2, budget_uncertainty=0.15
    )
    facts = build_facts(
        project,
        report_month=month,
        earned_value=earned_value,
        cpm=schedule_project(project),
        simulation=simulation,
        warnings=imported.warnings,
    )
    content = compose_report(
        ReportHeader(
            "bench", "bench", f"{project.name}: {month}", None, month, None, datetime.now(UTC)
        ),
        facts,
        section_ids=SECTIONS,
        insights=generate_insights(facts),
        monte_carlo=monte_carlo_view(simulation, seed=7),
        earned_value=earned_value.to_dict(),
    )
    document = ReportDocument()
    document.set_meta(content["meta"])
    for s in content["sections"]:
        document.put_section(
            s["section_id"],
            title=s["title"],
            body=s["body"],
            order=s["order"],
            metrics=s["metrics"],
            ai_generated=s["ai_generated"],
            confidence_score=s["confidence_score"],
        )
    document.set_insights(content["insights"])
    document.set_monte_carlo(content["monte_carlo"])
    document.set_metrics(content["metrics"])
    return document.to_dict(), project_data(project)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("schedule", type=Path)
    parser.add_argument("month")
    parser.add_argument("--repeat", type=int, default=1)
    arguments = parser.parse_args()
    document, data = report(arguments.schedule, arguments.month)
    for number in range(arguments.repeat):
        for fmt in ExportFormat:
            request = ExportRequest(
                fmt,
                "Detailed",
                SECTIONS,
                Styling(),
                Branding(palette("corporate_blue")),
                None,
                True,
                False,
                "bench@example.com",
                datetime.now(UTC),
            )
            started = time.perf_counter()
            exported = export_report(document, data, request)
            if number == 0:
                print(
                    f"{fmt.value}: {time.perf_counter() - started:.2f} s, "
                    f"{len(exported.data):,} bytes, pages {exported.pages}"
                )
        if (number + 1) % 20 == 0:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"after {(number + 1) * 3} exports: max RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
