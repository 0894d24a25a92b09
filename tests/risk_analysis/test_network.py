from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import datetime, time

import numpy as np
import pytest

from risk_analysis.errors import NetworkError
from risk_analysis.network import MAX_SPAN_YEARS, build_network, select_calendar
from schedules.model import (
    Activity,
    ActivityType,
    Calendar,
    Project,
    Relationship,
    RelationshipType,
    WorkInterval,
)

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]


def test_build_network_orders_activities_topologically(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (make_task("C", 8), make_task("B", 8), make_task("A", 8)),
        (Relationship("A", "B"), Relationship("B", "C"), Relationship("A", "C")),
    )

    network = build_network(project)

    assert network.activity_ids == ("A", "B", "C")
    assert [level.tolist() for level in network.levels] == [[0], [1], [2]]
    assert network.link_successors.tolist() == [1, 2, 2]
    assert network.link_predecessors.tolist() == [0, 0, 1]


def test_build_network_keeps_source_order_within_a_level(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (make_task("Z", 8), make_task("Y", 8), make_task("X", 8)), (Relationship("Z", "X"),)
    )

    network = build_network(project)

    assert network.activity_ids == ("Z", "Y", "X")
    assert [level.tolist() for level in network.levels] == [[0, 1], [2]]


def test_build_network_stores_link_types_and_lags(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (make_task("A", 8), make_task("B", 8)),
        (
            Relationship("A", "B", RelationshipType.SS, 4.0),
            Relationship("A", "B", RelationshipType.FF, -2.0),
        ),
    )

    network = build_network(project)

    assert sorted(network.link_types.tolist()) == [1, 2]
    assert sorted(network.link_lags.tolist()) == [-2.0, 4.0]


def test_build_network_leaves_out_summary_activities(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (
            make_task("A", 8),
            make_task("LOE", 80, type=ActivityType.LEVEL_OF_EFFORT),
            make_task("WBS", 80, type=ActivityType.WBS_SUMMARY),
            make_task("B", 8),
        ),
        (Relationship("A", "LOE"), Relationship("LOE", "B"), Relationship("WBS", "B")),
    )

    network = build_network(project)

    assert network.activity_ids == ("A", "B")
    assert network.link_successors.size == 0


def test_build_network_names_the_cycle(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        tuple(make_task(code, 8) for code in "ABCD"),
        (
            Relationship("D", "A"),
            Relationship("A", "B"),
            Relationship("B", "C"),
            Relationship("C", "A"),
        ),
    )

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert set(caught.value.activity_codes) == {"A", "B", "C"}
    assert "cycle" in str(caught.value)
    assert "D" not in caught.value.activity_codes


def test_build_network_names_a_self_loop(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project((make_task("A", 8),), (Relationship("A", "A"),))

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert caught.value.activity_codes == ("A",)
    assert "A -> A" in str(caught.value)


@pytest.mark.parametrize(
    "relationship",
    [Relationship("A", "GHOST"), Relationship("GHOST", "A")],
    ids=["unknown-successor", "unknown-predecessor"],
)
def test_build_network_names_an_unknown_activity(
    make_task: TaskFactory, make_project: ProjectFactory, relationship: Relationship
) -> None:
    project = make_project((make_task("A", 8),), (relationship,))

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert caught.value.activity_codes == ("GHOST",)
    assert "'GHOST'" in str(caught.value)


def test_build_network_rejects_repeated_ids(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project((make_task("A", 8), make_task("A", 16)))

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert caught.value.activity_codes == ("A",)


@pytest.mark.parametrize(
    "fields",
    [
        {"constraint_type": "start_on_or_after", "constraint_date": datetime(9999, 12, 31)},
        {"actual_start": datetime(1, 1, 2)},
        {"constraint_type": "finish_on_or_before", "constraint_date": datetime(2200, 1, 1)},
    ],
    ids=["last-representable-date", "first-century", "two-centuries-ahead"],
)
def test_build_network_names_distant_dates(
    make_task: TaskFactory, make_project: ProjectFactory, fields: dict[str, object]
) -> None:
    project = make_project((make_task("A", 8), make_task("FAR", 8, **fields)))

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert caught.value.activity_codes == ("FAR",)
    assert f"more than {MAX_SPAN_YEARS} years from the data date" in str(caught.value)


def test_build_network_names_too_long_work(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (make_task("A", 8), make_task("HUGE", 5e7), make_task("B", 8)),
        (Relationship("A", "B", RelationshipType.FS, 4e7),),
    )

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert caught.value.activity_codes[0] == "HUGE"
    assert "B" in caught.value.activity_codes
    assert f"beyond the {MAX_SPAN_YEARS}-year limit" in str(caught.value)


@pytest.mark.parametrize(
    ("hours", "years"),
    [(3e5, "ends 144 years"), (5e5, "ends at least"), (1e300, "ends at least 1.1e+296 years")],
    ids=["covered", "beyond-tables", "huge"],
)
def test_build_network_states_span_of_long_work(
    make_task: TaskFactory, make_project: ProjectFactory, hours: float, years: str
) -> None:
    project = make_project((make_task("LONG", hours),))

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert f"the remaining work {years}" in str(caught.value)


@pytest.mark.parametrize("hours", [float("nan"), float("inf")], ids=["nan", "infinity"])
def test_build_network_names_non_finite_duration(
    make_task: TaskFactory, make_project: ProjectFactory, hours: float
) -> None:
    project = make_project((make_task("A", 8), make_task("BAD", hours)))

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert caught.value.activity_codes == ("BAD",)
    assert "not a finite number" in str(caught.value)


@pytest.mark.parametrize(
    "lag", [float("nan"), float("inf"), float("-inf")], ids=["nan", "infinity", "minus-infinity"]
)
def test_build_network_names_non_finite_lag(
    make_task: TaskFactory, make_project: ProjectFactory, lag: float
) -> None:
    project = make_project(
        (make_task("A", 8), make_task("B", 8)), (Relationship("A", "B", RelationshipType.FS, lag),)
    )

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert caught.value.activity_codes == ("A", "B")
    assert "not a finite number" in str(caught.value)


@pytest.mark.parametrize(
    "data_date",
    [datetime(1, 1, 2), datetime(1899, 6, 1), datetime(2250, 1, 1), datetime(9990, 1, 1)],
)
def test_build_network_rejects_data_date_outside_calendars(
    make_task: TaskFactory, make_project: ProjectFactory, data_date: datetime
) -> None:
    project = make_project((make_task("A", 8),), data_date=data_date)

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert data_date.date().isoformat() in str(caught.value)
    assert "outside the years 1900 to 2200" in str(caught.value)


def test_build_network_rejects_week_without_seven_days(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    day = ((WorkInterval(time(8), time(16)),),)
    short = Calendar("short", "three days", 8, 24, day * 3)
    project = make_project((make_task("A", 8),), calendar=short)

    with pytest.raises(NetworkError) as caught:
        build_network(project)

    assert "'short'" in str(caught.value)
    assert "week pattern of 3 days instead of 7" in str(caught.value)


def test_network_error_survives_pickling() -> None:
    error = NetworkError("the schedule logic contains a cycle: A -> B -> A", ("A", "B"))

    copy = pickle.loads(pickle.dumps(error))

    assert copy.activity_codes == ("A", "B")
    assert str(copy) == str(error)


def test_select_calendar_prefers_the_project_default(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    other = Calendar("other", "other", 8, 40, ((),) * 7)
    base = make_project((make_task("A", 8, calendar_id="other"),))
    calendars = (other, *base.calendars)

    chosen = select_calendar(make_project(base.activities, calendars=calendars))
    most_used = select_calendar(
        make_project(base.activities, calendars=calendars, default_calendar_id=None)
    )

    assert chosen is not None
    assert chosen.id == "5x8"
    assert most_used is not None
    assert most_used.id == "other"


def test_build_network_uses_original_duration_when_remaining_is_missing(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project((make_task("A", 24, remaining_duration_hours=0.0),))

    network = build_network(project)

    assert np.array_equal(network.remaining_hours, [24.0])
