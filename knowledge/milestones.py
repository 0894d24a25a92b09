"""Sentences about milestones, written from the schedule's dates only."""

from __future__ import annotations

from datetime import datetime

from insights.text import day
from knowledge.edits import EditError
from schedules.model import Activity, ActivityStatus, Project


def find_milestone(project: Project, wanted: str | None) -> Activity:
    """Return the milestone with code or name ``wanted``, or the latest one achieved.

    Raises:
        EditError: no milestone matches, or none has been achieved yet.
    """
    milestones = [a for a in project.activities if a.type.is_milestone]
    if wanted is None:
        achieved = [a for a in milestones if a.actual_finish or a.actual_start]
        if not achieved:
            raise EditError("no milestone has been achieved yet; name the milestone to highlight")
        return max(achieved, key=lambda a: _achieved(a) or datetime.min)
    key = wanted.strip().strip(".").lower()
    for activity in milestones:
        if key in (activity.code.lower(), activity.name.lower()):
            return activity
    partial = [a for a in milestones if key in a.name.lower()]
    if len(partial) == 1:
        return partial[0]
    raise EditError(
        f"no milestone has the code or name {wanted!r}"
        + (f"; {len(partial)} names contain it, give the code" if partial else "")
    )


def _achieved(activity: Activity) -> datetime | None:
    return activity.actual_finish or activity.actual_start


def milestone_sentence(activity: Activity) -> str:
    """Describe a milestone: achieved or forecast, against its baseline or plan."""
    planned = activity.baseline_finish or activity.planned_finish
    label = f"Milestone {activity.code} {activity.name}"
    achieved = _achieved(activity)
    moment: datetime | None
    if activity.status is ActivityStatus.COMPLETED and achieved is not None:
        sentence = f"{label} was achieved on {day(achieved.date())}"
        moment = achieved
    else:
        moment = activity.early_finish or activity.planned_finish
        sentence = f"{label} is forecast for {day(moment.date() if moment else None)}"
    if planned is None or moment is None:
        return sentence + "."
    difference = (moment.date() - planned.date()).days
    if difference == 0:
        return sentence + f", on its planned date of {day(planned.date())}."
    relation = "ahead of" if difference < 0 else "behind"
    return sentence + (
        f", {abs(difference)} days {relation} its planned date of {day(planned.date())}."
    )
