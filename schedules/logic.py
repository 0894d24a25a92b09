"""Cycle detection in the schedule logic, run at import so that a loop is reported at once.

A cycle leaves no order in which to schedule its activities: Primavera P6 reports it as a
loop when it schedules, and the CPM engine of ``risk_analysis`` cannot calculate dates.
Relationships that touch a level-of-effort or WBS-summary activity are left out here, as the
CPM engine leaves them out, because those activities span other work instead of following
logic. Relationships to missing activities and from an activity to itself are dropped with
a warning by ``schedules.sanity`` before this check runs.
"""

from __future__ import annotations

from collections import deque

from schedules.errors import InvalidProjectError
from schedules.model import Activity, Project


def check_logic(project: Project) -> None:
    """Raise InvalidProjectError naming the activities of a cycle in the relationships."""
    cycle = find_cycle(project)
    if cycle is None:
        return
    codes = [activity.code or activity.id for activity in cycle]
    raise InvalidProjectError(
        "the schedule logic contains a cycle, so no dates can be calculated: "
        f"{' -> '.join([*codes, codes[0]])} (activity codes). Remove or reverse one of these "
        "relationships in the source schedule and import it again"
    )


def find_cycle(project: Project) -> list[Activity] | None:
    """Return the activities of one cycle in the logic, in link order, or None without one."""
    by_id = {a.id: a for a in project.activities if not a.type.is_summary}
    successors: dict[str, list[str]] = {activity_id: [] for activity_id in by_id}
    predecessors: dict[str, list[str]] = {activity_id: [] for activity_id in by_id}
    for relationship in project.relationships:
        pred, succ = relationship.predecessor_id, relationship.successor_id
        if pred in by_id and succ in by_id and pred != succ:
            successors[pred].append(succ)
            predecessors[succ].append(pred)

    # Kahn's algorithm removes every activity that is not on or after a cycle.
    indegree = {activity_id: len(links) for activity_id, links in predecessors.items()}
    ready = deque(activity_id for activity_id, count in indegree.items() if count == 0)
    while ready:
        for succ in successors[ready.popleft()]:
            indegree[succ] -= 1
            if indegree[succ] == 0:
                ready.append(succ)
    left = [activity_id for activity_id, count in indegree.items() if count > 0]
    if not left:
        return None

    # Each activity left has a predecessor that is also left, so walking back must repeat.
    remaining = set(left)
    walk: list[str] = []
    position: dict[str, int] = {}
    current = left[0]
    while current not in position:
        position[current] = len(walk)
        walk.append(current)
        current = next(pred for pred in predecessors[current] if pred in remaining)
    cycle = list(reversed(walk[position[current] :]))
    # Start from the activity that comes first in the file, so the message reads naturally.
    order = {activity_id: index for index, activity_id in enumerate(by_id)}
    first = min(range(len(cycle)), key=lambda index: order[cycle[index]])
    return [by_id[activity_id] for activity_id in cycle[first:] + cycle[:first]]
