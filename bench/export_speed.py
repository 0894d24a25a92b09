"""Time PDF, Excel and slides exports of a real schedule's report, and watch memory.

    python bench/export_speed.py PATH/sp10-cost-loaded.xer 2017-09 --runs 5
    python bench/export_speed.py PATH/sp10-cost-loaded.xer 2017-09 --runs 0 --memory 200
    python bench/export_speed.py PATH/sp10-cost-loaded.xer 2017-09 --runs 0 --profile 30

The report is composed in this process (no Ray) as the generation writes it, with 2,000
Monte Carlo iterations and the detailed template's sections, then exported with charts
and no raw data. One warm-up export per format pays the imports and is reported apart.
Each timed export includes building the export document, rendering and the read-back
checks. ``--memory N`` runs N exports in a row, cycling through the formats, and samples
the resident set size (VmRSS) every ``--sample-every`` exports. ``--profile N`` prints the
N most expensive functions of one PDF export under cProfile.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# This file's name would hide the exports package, so its folder leaves the path until the
# package is imported, and comes back for the helpers in bench/common.py.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from crdt import ReportDocument
from earned_value import analyse
from exports import (
    Branding,
    ExportFormat,
    ExportRequest,
    ProjectData,
    export_report,
    palette,
    project_data,
)
from exports.styling import Styling
from insights import generate_insights
from reporting import ReportHeader, compose_report
from reporting.facts import build_facts
from reporting.monte_carlo import monte_carlo_view
from risk_analysis import schedule_project, simulate
from schedules import import_schedule

sys.path.insert(0, str(_HERE))

from common import machine, summary

SECTIONS = (
    "executive_summary",
    "budget_analysis",
    "schedule_analysis",
    "earned_value_detail",
    "critical_path",
    "risk_assessment",
    "insights",
)


def report(path: Path, month: str) -> tuple[dict[str, Any], ProjectData]:
    """Return the report document as the report actor reads it, and the project's figures."""
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


def request(fmt: ExportFormat) -> ExportRequest:
    return ExportRequest(
        format=fmt,
        template_name="Detailed Monthly Report",
        template_sections=SECTIONS,
        styling=Styling(),
        branding=Branding(palette("corporate_blue")),
        sections=None,
        include_charts=True,
        include_raw_data=False,
        exported_by="bench@example.com",
        exported_at=datetime.now(UTC),
    )


def resident_mib() -> float:
    """Return this process's current resident set size in MiB, read from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/status has no VmRSS line; the memory run needs Linux")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def time_formats(document: dict[str, Any], data: ProjectData, runs: int) -> None:
    for fmt in ExportFormat:
        started = time.perf_counter()
        exported = export_report(document, data, request(fmt))
        print(
            f"{fmt.value}: warm-up {time.perf_counter() - started:.2f} s, "
            f"{len(exported.data):,} bytes, pages/sheets/slides {exported.pages}",
            flush=True,
        )
    for fmt in ExportFormat:
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            export_report(document, data, request(fmt))
            seconds.append(time.perf_counter() - started)
        print(f"{fmt.value}: {summary(seconds)} ({load()})", flush=True)


def watch_memory(document: dict[str, Any], data: ProjectData, count: int, every: int) -> None:
    formats = list(ExportFormat)
    samples = [(0, resident_mib())]
    print(f"before the first export: {samples[0][1]:.0f} MiB")
    for number in range(1, count + 1):
        export_report(document, data, request(formats[(number - 1) % len(formats)]))
        if number % every == 0 or number == count:
            samples.append((number, resident_mib()))
            print(f"after {number} exports: {samples[-1][1]:.0f} MiB ({load()})", flush=True)
    first, last = samples[1], samples[-1]
    print(
        f"resident memory after export {first[0]}: {first[1]:.0f} MiB, after export "
        f"{last[0]}: {last[1]:.0f} MiB, peak sample {max(s[1] for s in samples):.0f} MiB"
    )


def profile_pdf(document: dict[str, Any], data: ProjectData, lines: int) -> None:
    export_report(document, data, request(ExportFormat.PDF))
    profiler = cProfile.Profile()
    profiler.enable()
    export_report(document, data, request(ExportFormat.PDF))
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("schedule", type=Path, help="P6 XER file, e.g. sp10-cost-loaded.xer")
    parser.add_argument("month", help="Report month, YYYY-MM, e.g. 2017-09 for sp10.")
    parser.add_argument("--runs", type=int, default=5, help="Timed exports per format.")
    parser.add_argument("--memory", type=int, default=0, help="Exports in the memory run.")
    parser.add_argument("--sample-every", type=int, default=20, help="Exports per sample.")
    parser.add_argument("--profile", type=int, default=0, help="Lines of a PDF profile.")
    arguments = parser.parse_args()
    print(f"{machine()}; {load()}", flush=True)
    started = time.perf_counter()
    document, data = report(arguments.schedule, arguments.month)
    print(f"report composed in {time.perf_counter() - started:.1f} s", flush=True)
    if arguments.runs:
        time_formats(document, data, arguments.runs)
    if arguments.memory:
        watch_memory(document, data, arguments.memory, arguments.sample_every)
    if arguments.profile:
        profile_pdf(document, data, arguments.profile)


if __name__ == "__main__":
    main()
