from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path

import numpy as np
import pytest

from risk_analysis.chunks import plan_chunks, run_chunk
from risk_analysis.results import merge
from risk_analysis.simulation import simulate
from risk_analysis.uncertainty import build_model
from schedules.model import Activity, Calendar, Project, Relationship, WorkInterval
from schedules.xer import read_xer

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]

DAY = (WorkInterval(time(8), time(12)), WorkInterval(time(13), time(17)))
FIVE_DAYS = Calendar("5d", "5 x 8", 8, 40, (DAY,) * 5 + ((), ()))
SEVEN_DAYS = Calendar("7d", "7 x 8", 8, 56, (DAY,) * 7)


def test_to_dict_has_the_specification_shape(textbook: Project) -> None:
    result = simulate(
        textbook,
        iterations=2000,
        seed=7,
        schedule_uncertainty=0,
        budget_uncertainty=0.1,
        confidence_levels=(0.5, 0.8, 0.95, 0.975),
    )

    view = result.to_dict()

    assert json.loads(json.dumps(view)) == view
    assert list(view["budget_completion"]) == ["p50", "p80", "p95", "p97.5"]
    assert list(view["schedule_completion"]) == ["p50", "p80", "p95", "p97.5"]
    p80 = result.cost.percentiles[1]
    assert view["budget_completion"]["p80"] == p80.ratio_to_budget
    finish_p50 = result.finish.percentiles[0]
    assert finish_p50.date is not None
    assert view["schedule_completion"]["p50"] == finish_p50.date.date().isoformat()
    assert view["deterministic_finish"] == "2024-04-12"
    schedule = view["schedule"]
    assert schedule["merge_bias_hours"] == finish_p50.offset_hours - 15 * 40.0
    assert schedule["merge_bias_hours"] > 0
    assert schedule["mean_hours"] == result.finish.mean_hours
    assert sum(b["count"] for b in schedule["histogram"]) == 2000
    assert schedule["s_curve"][-1]["probability"] == 1.0
    assert view["cost"]["standard_deviation"] == result.cost.standard_deviation
    assert view["criticality"][0]["index"] == 1.0
    assert view["sensitivity"]["finish"][0]["kind"] == "activity_duration"
    assert view["warnings"] == []


def test_finish_dates_keep_days_the_reference_calendar_skips(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    # The last activity works weekends; the reference calendar does not.
    project = make_project(
        (make_task("A", 40, calendar_id="5d"), make_task("B", 8, calendar_id="7d")),
        (Relationship("A", "B"),),
        calendar=FIVE_DAYS,
        calendars=(FIVE_DAYS, SEVEN_DAYS),
    )

    result = simulate(
        project, iterations=100, seed=1, schedule_uncertainty=0, budget_uncertainty=0
    )

    finish = result.finish
    assert finish.deterministic_date == datetime(2024, 1, 6, 17)
    assert [p.date for p in finish.percentiles] == [datetime(2024, 1, 6, 17)] * 3
    assert finish.probability_by_date(datetime(2024, 1, 6, 16)) == 0.0
    assert finish.probability_by_date(datetime(2024, 1, 6, 17)) == 1.0
    # In reference working hours Saturday adds nothing to Friday's 40 h.
    assert finish.percentiles[0].offset_hours == 40.0


def test_probability_by_date_agrees_with_hours(textbook: Project) -> None:
    result = simulate(
        textbook, iterations=4000, seed=2, schedule_uncertainty=0, budget_uncertainty=0
    )

    # 16 weeks of 40 h from Monday 2024-01-01 08:00 end on Friday 2024-04-19 17:00.
    by_hours = result.finish.probability_by(16 * 40.0)
    by_date = result.finish.probability_by_date(datetime(2024, 4, 19, 17))

    assert by_date == pytest.approx(by_hours, abs=0.01)


def test_p80_standard_error_shrinks_with_root_iterations(textbook: Project) -> None:
    # Independent replications estimate the P80's standard error at n, 4 n and 16 n
    # iterations. With R replications a sample standard deviation has a relative error of
    # about 1 / sqrt(2 (R - 1)), 0.10 for R = 50, so the log-log slope over a factor of 16
    # has a standard error of about 0.10 * sqrt(2) / ln(16) = 0.05; four of them allow 0.2.
    model = build_model(textbook, schedule_uncertainty=0, budget_uncertainty=0)
    replications = 50
    sizes = (1000, 4000, 16000)
    deviations = []

    for size in sizes:
        p80 = []
        for replication in range(replications):
            chunks = plan_chunks(seed=1000 * size + replication, iterations=size, chunk_size=4000)
            aggregates = [run_chunk(model, chunk.seed, chunk.size) for chunk in chunks]
            result = merge(model, aggregates, confidence_levels=(0.8,))
            p80.append(result.finish.percentiles[0].offset_hours)
        deviations.append(float(np.std(p80, ddof=1)))
    slope = np.polyfit(np.log(sizes), np.log(deviations), 1)[0]

    assert slope == pytest.approx(-0.5, abs=0.2)
    assert deviations[0] / deviations[2] == pytest.approx(4.0, rel=0.5)


def test_simulation_of_real_schedule_reports_drivers(shared_data: Path) -> None:
    project, _ = read_xer((shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes())

    result = simulate(
        project,
        iterations=2000,
        seed=11,
        schedule_uncertainty=0.2,
        budget_uncertainty=0.1,
        resource_availability=0.9,
    )

    view = result.to_dict()
    assert result.finish.deterministic_date == datetime(2023, 1, 13, 17)
    assert view["deterministic_finish"] == "2023-01-13"
    assert view["schedule_completion"]["p50"] > "2023-01-13"
    assert len(result.sensitivity.finish) == 10
    coefficients = [abs(d.coefficient) for d in result.sensitivity.finish]
    assert coefficients == sorted(coefficients, reverse=True)
    assert all(d.kind == "activity_duration" for d in result.sensitivity.finish)
    assert result.sensitivity.cost[0].coefficient > 0
    assert math.isfinite(view["cost"]["mean"])


def test_criticality_ties_list_longer_work_first(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    # One chain, so every activity is critical in every iteration.
    project = make_project(
        (make_task("M", 0.0), make_task("SHORT", 8.0), make_task("LONG", 40.0)),
        (Relationship("M", "SHORT"), Relationship("SHORT", "LONG")),
    )

    result = simulate(
        project, iterations=200, seed=3, schedule_uncertainty=0.2, budget_uncertainty=0.0
    )

    assert [c.code for c in result.criticality] == ["LONG", "SHORT", "M"]
    assert all(c.index == 1.0 for c in result.criticality)


def test_criticality_index_covers_every_critical_activity(textbook: Project) -> None:
    model = build_model(textbook, schedule_uncertainty=0, budget_uncertainty=0)
    aggregates = [run_chunk(model, c.seed, c.size) for c in plan_chunks(5, 3000, 1000)]
    counts = np.sum([a.critical_counts for a in aggregates], axis=0)
    expected = {model.network.activity_ids[i]: counts[i] / 3000 for i in np.flatnonzero(counts)}

    result = merge(model, aggregates, top_activities=2)

    assert len(result.criticality) == 2
    assert len(expected) > 2
    assert dict(result.criticality_index) == expected
    assert result.to_dict()["criticality_index"] == expected


def test_merge_bias_without_a_median_level(textbook: Project) -> None:
    def run(levels: tuple[float, ...]) -> dict[str, object]:
        result = simulate(
            textbook,
            iterations=2000,
            seed=7,
            schedule_uncertainty=0,
            budget_uncertainty=0,
            confidence_levels=levels,
        )
        schedule: dict[str, object] = result.to_dict()["schedule"]
        return schedule

    with_median = run((0.5, 0.9))
    without_median = run((0.1, 0.9))

    assert without_median["merge_bias_hours"] == with_median["merge_bias_hours"]
    assert isinstance(without_median["merge_bias_hours"], float)
    assert without_median["merge_bias_hours"] > 0
