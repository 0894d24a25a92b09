"""Time report generation end to end on a local Ray instance.

Each run creates a report and a job, submits the generation task and waits for it: project
load, earned value, CPM, 10,000 Monte Carlo iterations in Ray tasks, insights, narratives,
and the report actor storing the document. Ray's start-up is timed separately.

    python bench/generate_report.py PATH/sp10-cost-loaded.xer --runs 3
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import ray
from common import machine, schedule_argument, summary, timed

from actors import GenerationPlan, ReportGateway, connect
from config import Settings
from schedules import import_schedule
from storage import (
    Database,
    JobRepository,
    ProjectRepository,
    ReportRepository,
    TemplateRepository,
)


def _wait(gateway: ReportGateway, plan: GenerationPlan) -> None:
    ray.get(gateway.start_generation(plan))


def main() -> None:
    arguments = schedule_argument(__doc__ or "")
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), monte_carlo_iterations=10_000)
        database = Database(settings.sqlalchemy_url)
        database.migrate()
        result = import_schedule(
            arguments.schedule.read_bytes(), arguments.schedule.name, max_bytes=10**9
        )
        project_id = ProjectRepository(database).add(result, filename=arguments.schedule.name)
        template = TemplateRepository(database).default()
        startup, _ = timed(lambda: connect(settings))
        gateway = ReportGateway(settings)
        durations = []
        for run in range(arguments.runs):
            report = ReportRepository(database).create(
                project_id, title=f"bench {run}", report_month="2017-09"
            )
            job = JobRepository(database).create("report_generation", report.id)
            plan = GenerationPlan(
                report_id=report.id,
                job_id=job.id,
                project_id=project_id,
                report_month="2017-09",
                title=report.title,
                description=None,
                template_sections=tuple(section.section_id for section in template.sections),
            )
            seconds, _ = timed(partial(_wait, gateway, plan))
            status = ReportRepository(database).get(report.id).status
            assert status == "completed", f"generation {run} ended {status}"
            durations.append(seconds)
        database.dispose()
        ray.shutdown()
    print(f"machine: {machine()}")
    print(f"file: {arguments.schedule.name}, {len(result.project.activities):,} activities")
    print(f"Ray start-up: {startup:.2f} s")
    print(f"generation (10,000 iterations): {summary(durations)}")


if __name__ == "__main__":
    main()
