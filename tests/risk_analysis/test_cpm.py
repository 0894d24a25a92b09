from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from risk_analysis.cpm import compute_cpm, forward_pass, schedule_project
from risk_analysis.errors import SimulationInputError
from risk_analysis.network import build_network
from schedules.model import Activity, ActivityStatus, Project, Relationship, RelationshipType
from schedules.xer import read_xer

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]
WEEK = 40.0


def floats_by_code(project: Project) -> dict[str, float | None]:
    return {s.code: s.total_float_hours for s in schedule_project(project).schedules()}


def test_textbook_network_takes_fifteen_weeks(textbook: Project) -> None:
    result = schedule_project(textbook)

    assert result.project_finish_hours == 15 * WEEK
    assert result.project_finish == datetime(2024, 4, 12, 17)


def test_textbook_critical_path_is_a_c_e_g_h(textbook: Project) -> None:
    result = schedule_project(textbook)

    codes = result.network.activity_codes
    critical = [code for code, flag in zip(codes, result.critical, strict=True) if flag]

    assert result.driving_path() == ("A", "C", "E", "G", "H")
    assert critical == ["A", "C", "E", "G", "H"]


def test_textbook_slack_matches_the_published_figures(textbook: Project) -> None:
    floats = floats_by_code(textbook)

    assert floats == {
        "A": 0.0,
        "B": 1 * WEEK,
        "C": 0.0,
        "D": 1 * WEEK,
        "E": 0.0,
        "F": 6 * WEEK,
        "G": 0.0,
        "H": 0.0,
    }


def test_textbook_free_float_of_b_is_zero(textbook: Project) -> None:
    # B can only slip by delaying D, which has one week of total float of its own.
    result = schedule_project(textbook)

    free = dict(zip(result.network.activity_codes, result.free_float.tolist(), strict=True))

    assert free["B"] == 0.0
    assert free["D"] == 1 * WEEK
    assert free["F"] == 6 * WEEK


def test_textbook_dates_follow_the_calendar(textbook: Project) -> None:
    schedules = {s.code: s for s in schedule_project(textbook).schedules()}

    # C starts after A's two weeks; F could start at the same time but may wait six weeks.
    assert schedules["C"].early_start == datetime(2024, 1, 15, 8)
    assert schedules["C"].early_finish == datetime(2024, 1, 26, 17)
    assert schedules["F"].late_start == datetime(2024, 3, 11, 8)
    assert schedules["F"].late_finish == datetime(2024, 3, 29, 17)


# A (16 h) -> B (8 h) with one link; expected B early start, B early finish, project finish,
# total float of A and of B, all worked by hand.
LINK_CASES = {
    "FS+0": (RelationshipType.FS, 0.0, 16.0, 24.0, 24.0, 0.0, 0.0),
    "FS+4": (RelationshipType.FS, 4.0, 20.0, 28.0, 28.0, 0.0, 0.0),
    "FS-4": (RelationshipType.FS, -4.0, 12.0, 20.0, 20.0, 0.0, 0.0),
    "SS+4": (RelationshipType.SS, 4.0, 4.0, 12.0, 16.0, 0.0, 4.0),
    "SS-4": (RelationshipType.SS, -4.0, 0.0, 8.0, 16.0, 0.0, 8.0),
    "FF+4": (RelationshipType.FF, 4.0, 12.0, 20.0, 20.0, 0.0, 0.0),
    "FF-4": (RelationshipType.FF, -4.0, 4.0, 12.0, 16.0, 0.0, 4.0),
    "SF+20": (RelationshipType.SF, 20.0, 12.0, 20.0, 20.0, 0.0, 0.0),
    "SF-4": (RelationshipType.SF, -4.0, 0.0, 8.0, 16.0, 0.0, 8.0),
}


@pytest.mark.parametrize(
    ("kind", "lag", "start", "finish", "project_finish", "float_a", "float_b"),
    list(LINK_CASES.values()),
    ids=list(LINK_CASES),
)
def test_cpm_applies_each_link_type_and_lag(
    make_task: TaskFactory,
    make_project: ProjectFactory,
    kind: RelationshipType,
    lag: float,
    start: float,
    finish: float,
    project_finish: float,
    float_a: float,
    float_b: float,
) -> None:
    project = make_project(
        (make_task("A", 16), make_task("B", 8)), (Relationship("A", "B", kind, lag),)
    )

    result = schedule_project(project)

    assert result.early_start.tolist() == [0.0, start]
    assert result.early_finish.tolist() == [16.0, finish]
    assert result.project_finish_hours == project_finish
    assert result.total_float.tolist() == [float_a, float_b]


def test_cpm_takes_the_tightest_of_several_links(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    # A ladder: B may start 8 h after A starts but must finish 8 h after A finishes.
    project = make_project(
        (make_task("A", 40), make_task("B", 24)),
        (
            Relationship("A", "B", RelationshipType.SS, 8.0),
            Relationship("A", "B", RelationshipType.FF, 8.0),
        ),
    )

    result = schedule_project(project)

    assert result.early_start.tolist() == [0.0, 24.0]
    assert result.early_finish.tolist() == [40.0, 48.0]
    assert result.late_finish.tolist() == [40.0, 48.0]


def test_cpm_ss_link_keeps_a_long_predecessor_critical(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    # With SS+4, B (8 h) ends at 12 while A (16 h) ends at 16: A drives the finish.
    project = make_project(
        (make_task("A", 16), make_task("B", 8)),
        (Relationship("A", "B", RelationshipType.SS, 4.0),),
    )

    result = schedule_project(project)

    assert result.critical.tolist() == [True, False]
    assert result.late_start.tolist() == [0.0, 8.0]
    assert result.free_float.tolist() == [0.0, 4.0]


def test_cpm_flags_near_critical_activities(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (make_task("A", 80), make_task("B", 60), make_task("C", 8)),
        (Relationship("A", "C"), Relationship("B", "C")),
    )

    result = compute_cpm(build_network(project), near_critical_threshold_hours=24.0)

    assert result.critical.tolist() == [True, False, True]
    assert result.near_critical.tolist() == [False, True, False]


def test_cpm_critical_threshold_widens_the_critical_set(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (make_task("A", 80), make_task("B", 60), make_task("C", 8)),
        (Relationship("A", "C"), Relationship("B", "C")),
    )

    result = compute_cpm(build_network(project), critical_threshold_hours=20.0)

    assert result.critical.tolist() == [True, True, True]


def progressed_project(make_task: TaskFactory, make_project: ProjectFactory) -> Project:
    """A project with data date Wednesday 2024-01-03 08:00 on the 5 x 8 calendar."""
    return make_project(
        (
            make_task(
                "A", 16, status=ActivityStatus.COMPLETED, remaining_duration_hours=0.0,
                actual_start=datetime(2024, 1, 1, 8), actual_finish=datetime(2024, 1, 2, 17),
            ),
            make_task(
                "B", 32, status=ActivityStatus.IN_PROGRESS, remaining_duration_hours=24.0,
                actual_start=datetime(2024, 1, 2, 8),
            ),
            make_task("C", 8),
            make_task("D", 8),
            make_task("E", 8),
            make_task(
                "F", 16, status=ActivityStatus.IN_PROGRESS, remaining_duration_hours=8.0,
                actual_start=datetime(2024, 1, 2, 8),
            ),
            make_task(
                "G", 8, status=ActivityStatus.COMPLETED, remaining_duration_hours=0.0,
                actual_start=datetime(2024, 1, 1, 8), actual_finish=datetime(2024, 1, 1, 17),
            ),
        ),
        (
            Relationship("A", "B"),
            Relationship("B", "C"),
            Relationship("A", "E"),
            Relationship("D", "F", RelationshipType.FF, 16.0),
            Relationship("C", "G"),
        ),
        data_date=datetime(2024, 1, 3, 8),
    )  # fmt: skip


def test_cpm_keeps_actual_dates_of_completed_activities(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = progressed_project(make_task, make_project)

    schedules = {s.code: s for s in schedule_project(project).schedules()}

    assert (schedules["A"].early_start_hours, schedules["A"].early_finish_hours) == (-16.0, 0.0)
    assert schedules["A"].early_finish == datetime(2024, 1, 2, 17)
    assert schedules["A"].total_float_hours is None
    assert not schedules["A"].critical
    # G finished although its predecessor C has not started: it does not move.
    assert schedules["G"].early_finish == datetime(2024, 1, 1, 17)


def test_cpm_finishes_in_progress_work_after_the_data_date(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = progressed_project(make_task, make_project)

    schedules = {s.code: s for s in schedule_project(project).schedules()}

    assert schedules["B"].early_start == datetime(2024, 1, 2, 8)
    assert schedules["B"].early_finish_hours == 24.0
    assert schedules["B"].early_finish == datetime(2024, 1, 5, 17)
    assert schedules["C"].early_finish == datetime(2024, 1, 8, 17)


def test_cpm_holds_in_progress_finish_behind_a_finish_link(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = progressed_project(make_task, make_project)

    schedules = {s.code: s for s in schedule_project(project).schedules()}

    # F has 8 h left but must finish 16 h after D, which ends at 8 h.
    assert schedules["F"].early_finish_hours == 24.0
    assert schedules["F"].early_start_hours == -8.0


def test_cpm_starts_nothing_before_the_data_date(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = progressed_project(make_task, make_project)

    schedules = {s.code: s for s in schedule_project(project).schedules()}

    assert schedules["D"].early_start == datetime(2024, 1, 3, 8)
    assert schedules["E"].early_start_hours == 0.0


def test_cpm_backward_pass_follows_finish_links_into_progress(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = progressed_project(make_task, make_project)

    schedules = {s.code: s for s in schedule_project(project).schedules()}

    # The project ends with C at 32 h, so F may finish at 32 h and D, 16 h before F, at 16 h.
    assert schedules["F"].late_finish_hours == 32.0
    assert schedules["D"].late_finish_hours == 16.0
    assert schedules["D"].total_float_hours == 8.0
    assert schedules["E"].total_float_hours == 24.0


def test_forward_pass_accepts_one_row_per_iteration(textbook: Project) -> None:
    network = build_network(textbook)
    base = network.remaining_hours
    longer_f = base.copy()
    longer_f[network.position("F")] += 7 * WEEK

    result = forward_pass(network, np.stack([base, longer_f, base * 2]).astype(np.float32))

    assert result.project_finish.dtype == np.float32
    assert result.project_finish.tolist() == [15 * WEEK, 16 * WEEK, 30 * WEEK]
    assert result.early_finish.shape == (3, network.size)
    assert result.early_start[1].tolist() == forward_pass(network, longer_f).early_start.tolist()


def test_forward_pass_of_one_set_returns_a_scalar_finish(textbook: Project) -> None:
    network = build_network(textbook)

    result = forward_pass(network)

    assert result.project_finish.shape == ()
    assert float(result.project_finish) == 15 * WEEK


def test_forward_pass_rejects_the_wrong_number_of_durations(textbook: Project) -> None:
    network = build_network(textbook)

    with pytest.raises(SimulationInputError) as caught:
        forward_pass(network, np.ones((2, network.size + 1)))

    assert caught.value.field == "durations"


def test_cpm_holds_remaining_work_behind_an_unfinished_predecessor(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    # Retained logic: Y started out of sequence, but its last 8 h wait for X (16 h).
    project = make_project(
        (
            make_task("X", 16),
            make_task(
                "Y", 24, status=ActivityStatus.IN_PROGRESS, remaining_duration_hours=8.0,
                actual_start=datetime(2023, 12, 29, 8),
            ),
        ),
        (Relationship("X", "Y"),),
    )  # fmt: skip

    result = schedule_project(project)

    schedules = {s.code: s for s in result.schedules()}
    assert schedules["Y"].early_start == datetime(2023, 12, 29, 8)
    assert schedules["Y"].early_finish == datetime(2024, 1, 3, 17)
    assert result.remaining_start.tolist() == [0.0, 16.0]
    assert result.driving_path() == ("X", "Y")


def test_cpm_treats_start_to_start_between_started_work_as_met(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    started = {"status": ActivityStatus.IN_PROGRESS, "remaining_duration_hours": 8.0}
    project = make_project(
        (
            make_task("P", 24, actual_start=datetime(2023, 12, 28, 8), **started),
            make_task("Q", 24, actual_start=datetime(2023, 12, 29, 8), **started),
        ),
        (Relationship("P", "Q", RelationshipType.SS, 16.0),),
    )

    schedules = {s.code: s for s in schedule_project(project).schedules()}

    assert schedules["Q"].early_finish == datetime(2024, 1, 1, 17)


def test_cpm_matches_primavera_on_the_real_schedule(shared_data: Path) -> None:
    project, _ = read_xer((shared_data / "schedules" / "sp10-cost-loaded.xer").read_bytes())
    network = build_network(project)

    result = compute_cpm(network)

    # P6 scheduled this file to a latest early finish of 2023-01-13 17:00. Dates compare in
    # working hours of each activity's calendar, because P6 shows some starts at the end of
    # the previous working period.
    assert result.project_finish == datetime(2023, 1, 13, 17)
    assert network.calendars is not None
    by_id = {activity.id: activity for activity in project.activities}
    open_positions = np.flatnonzero(network.plan.scheduled)
    p6_finish = np.full(open_positions.size, np.nan)
    for slot, position in enumerate(open_positions):
        moment = by_id[network.activity_ids[position]].early_finish
        if moment is not None:
            calendar = int(network.calendar_index[position])
            p6_finish[slot] = network.calendars.working_hours(calendar, [moment])[0]
    p6_float = np.array([by_id[network.activity_ids[i]].total_float_hours for i in open_positions])
    same_finish = int(np.sum(np.abs(result.early_finish[open_positions] - p6_finish) < 1e-6))
    same_float = int(np.sum(np.abs(result.total_float[open_positions] - p6_float) < 1e-6))
    # The 8 early finishes that differ are successors of completed activities whose own
    # predecessors are unfinished, which P6 lets hold them back. Of the 53 total floats that
    # differ, those 8 and 2 of in-progress work follow from the same cause; the other 43 are
    # as-late-as-possible activities whose four dates match P6's.
    assert open_positions.size == 3468
    assert same_finish == 3460
    assert same_float >= 3415
