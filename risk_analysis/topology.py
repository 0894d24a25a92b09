"""Activities and relationships checked and sorted into topological levels.

Relationships that touch a level-of-effort or WBS-summary activity are dropped, because those
activities span other work instead of following logic.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence

from risk_analysis.errors import NetworkError
from schedules.model import Activity, Project, RelationshipType

logger = logging.getLogger(__name__)

Link = tuple[str, str, RelationshipType, float]


def activities_by_id(activities: Iterable[Activity]) -> dict[str, Activity]:
    """Index activities by id; raise NetworkError when an id repeats."""
    by_id: dict[str, Activity] = {}
    for activity in activities:
        if activity.id in by_id:
            raise NetworkError(
                f"activity id {activity.id!r} is used by more than one activity; "
                "give each activity its own id",
                (activity.code or activity.id,),
            )
        by_id[activity.id] = activity
    return by_id


def network_links(project: Project, by_id: Mapping[str, Activity]) -> list[Link]:
    """Return the relationships between network activities as (pred, succ, type, lag).

    Raise NetworkError when a relationship names an activity the project does not have or
    its lag is not a finite number.
    """
    links: list[Link] = []
    dropped = 0
    for relationship in project.relationships:
        for end, other in (
            (relationship.predecessor_id, relationship.successor_id),
            (relationship.successor_id, relationship.predecessor_id),
        ):
            if end not in by_id:
                raise NetworkError(
                    f"a relationship refers to activity {end!r}, which is not in the project "
                    f"(other end {_code(by_id, other)!r}); remove the relationship or add the "
                    "activity",
                    (end,),
                )
        if not math.isfinite(relationship.lag_hours):
            pred = _code(by_id, relationship.predecessor_id)
            succ = _code(by_id, relationship.successor_id)
            raise NetworkError(
                f"the relationship {pred} -> {succ} has a lag of {relationship.lag_hours} h, "
                "which is not a finite number; correct the lag",
                (pred, succ),
            )
        if (
            by_id[relationship.predecessor_id].type.is_summary
            or by_id[relationship.successor_id].type.is_summary
        ):
            dropped += 1
            continue
        links.append(
            (
                relationship.predecessor_id,
                relationship.successor_id,
                relationship.type,
                relationship.lag_hours,
            )
        )
    if dropped:
        logger.debug("left %d relationships of summary activities out of the network", dropped)
    return links


def _code(by_id: Mapping[str, Activity], activity_id: str) -> str:
    activity = by_id.get(activity_id)
    return activity_id if activity is None else activity.code or activity.id


def topological_levels(
    members: Sequence[Activity], links: Sequence[Link], by_id: Mapping[str, Activity]
) -> list[list[Activity]]:
    """Group activities into levels with Kahn's algorithm, keeping source order in a level."""
    order = {activity.id: index for index, activity in enumerate(members)}
    indegree = dict.fromkeys(order, 0)
    successors: dict[str, list[str]] = {activity_id: [] for activity_id in order}
    for pred, succ, _, _ in links:
        successors[pred].append(succ)
        indegree[succ] += 1

    level = [activity_id for activity_id in order if indegree[activity_id] == 0]
    levels: list[list[Activity]] = []
    placed = 0
    while level:
        levels.append([by_id[activity_id] for activity_id in level])
        placed += len(level)
        following: list[str] = []
        for activity_id in level:
            for succ in successors[activity_id]:
                indegree[succ] -= 1
                if indegree[succ] == 0:
                    following.append(succ)
        level = sorted(following, key=order.__getitem__)
    if placed < len(members):
        cycle = _find_cycle(indegree, links)
        codes = tuple(_code(by_id, activity_id) for activity_id in cycle)
        raise NetworkError(
            "the schedule logic contains a cycle: "
            + " -> ".join((*codes, codes[0]))
            + "; remove or reverse one of these relationships",
            codes,
        )
    return levels


def _find_cycle(indegree: Mapping[str, int], links: Sequence[Link]) -> list[str]:
    """Return one cycle among the activities Kahn's algorithm could not place."""
    # Every unplaced activity keeps an unplaced predecessor, so walking backwards must repeat.
    unplaced = {activity_id for activity_id, count in indegree.items() if count > 0}
    predecessor_of: dict[str, str] = {}
    for pred, succ, _, _ in links:
        if succ in unplaced and pred in unplaced:
            predecessor_of.setdefault(succ, pred)
    walk: list[str] = []
    seen: dict[str, int] = {}
    current = min(unplaced)
    while current not in seen:
        seen[current] = len(walk)
        walk.append(current)
        current = predecessor_of[current]
    return list(reversed(walk[seen[current] :]))
