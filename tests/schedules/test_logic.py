from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from schedules.errors import InvalidProjectError
from schedules.logic import check_logic, find_cycle
from schedules.model import Activity, ActivityStatus, ActivityType, Project, Relationship


def network(links: str, *, summaries: str = "") -> Project:
    """Return a project whose activities are named in ``links``, written "A>B B>C"."""
    pairs = [tuple(link.split(">")) for link in links.split()]
    codes = dict.fromkeys(code for pair in pairs for code in pair)
    activities = tuple(
        Activity(
            id=f"id-{code}",
            code=code,
            name=code,
            type=ActivityType.LEVEL_OF_EFFORT if code in summaries else ActivityType.TASK,
            status=ActivityStatus.NOT_STARTED,
        )
        for code in codes
    )
    relationships = tuple(Relationship(f"id-{pred}", f"id-{succ}") for pred, succ in pairs)
    return Project(
        source_id="p1",
        name="Network",
        currency="GBP",
        data_date=datetime(2024, 10, 1),
        source_format="xer",
        activities=activities,
        relationships=relationships,
    )


def codes(cycle: list[Activity] | None) -> list[str] | None:
    return None if cycle is None else [activity.code for activity in cycle]


@pytest.mark.parametrize(
    "links",
    [
        pytest.param("A>B B>C A>C", id="diamond"),
        pytest.param("A>B C>D", id="two-chains"),
        pytest.param("A>B A>B", id="repeated-link"),
    ],
)
def test_find_cycle_none_in_acyclic_logic(links: str) -> None:
    assert find_cycle(network(links)) is None


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        pytest.param("A>B B>A", ["A", "B"], id="two-activities"),
        pytest.param("S>A A>B B>C C>A C>F", ["A", "B", "C"], id="three-with-tails"),
        pytest.param("S>C C>B B>C", ["C", "B"], id="starts-at-first-in-file"),
    ],
)
def test_find_cycle_returns_members_in_link_order(links: str, expected: list[str]) -> None:
    assert codes(find_cycle(network(links))) == expected


def test_find_cycle_ignores_summary_links() -> None:
    # The CPM engine leaves out links of level-of-effort activities, so this is no cycle.
    project = network("A>L L>A", summaries="L")

    assert find_cycle(project) is None


def test_find_cycle_ignores_dangling_and_self_links() -> None:
    project = network("A>B")
    links = (*project.relationships, Relationship("id-B", "id-X"), Relationship("id-A", "id-A"))

    assert find_cycle(replace(project, relationships=links)) is None


def test_check_logic_names_cycle() -> None:
    with pytest.raises(InvalidProjectError) as caught:
        check_logic(network("S>A A>B B>A"))

    assert caught.value.code == "invalid_project"
    assert "the schedule logic contains a cycle" in caught.value.detail
    assert "A -> B -> A (activity codes)" in caught.value.detail
