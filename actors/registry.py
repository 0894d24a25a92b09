"""Finding or starting the actor of a report, preferably from the pool of spare actors."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import ray

from actors import directory
from actors.report_host import RemoteReportHost
from config import Settings

logger = logging.getLogger(__name__)

_OPEN_ATTEMPTS = 5
# How long a recorded actor may take to appear: its creator records it, then creates it.
_APPEAR_SECONDS = 2.0
_APPEAR_POLL_SECONDS = 0.02


def report_actor_handle(report_id: uuid.UUID, settings: Settings) -> Any:
    """Return the handle of the report's actor, starting or assigning one if none runs.

    The directory (actors/directory.py) records one actor per report cluster-wide: of two
    callers opening a report at once, the one that records its actor first wins, and the
    other uses that actor. A spare actor, when one is listed, serves at once. Otherwise a
    new actor starts, which takes a worker process, its imports and the document load.

    Actors are detached so that they outlive the Serve replica or task that started them,
    and Ray restarts them after a crash or the loss of their node. Ray's SPREAD strategy
    places them over the cluster's nodes, so losing one node restarts only its share of
    them. The spread is best effort, not an even split.
    """
    for _ in range(_OPEN_ATTEMPTS):
        name = directory.serving(settings, report_id)
        if name is not None:
            handle = _find(name, settings)
            if handle is not None:
                return handle
            logger.warning("actor %s of report %s is gone; starting another", name, report_id)
            directory.release(settings, report_id, name)
            continue
        handle = _claim_spare(report_id, settings) or _start_for(report_id, settings)
        if handle is not None:
            return handle
    raise RuntimeError(f"could not start or find the actor of report {report_id}; check Ray")


def _claim_spare(report_id: uuid.UUID, settings: Settings) -> Any:
    """Assign a spare to the report and start its replacement; None if none is listed."""
    if settings.actor_spares < 1:
        return None
    name = directory.claim_spare(settings)
    if name is None:
        return None
    if not directory.publish(settings, report_id, name):
        directory.offer_spare(settings, name)  # another caller opened the report first
        return None
    handle = _find(name, settings)
    if handle is None:
        directory.release(settings, report_id, name)
        return None
    handle.assign.remote()
    start_actor(settings)
    return handle


def _start_for(report_id: uuid.UUID, settings: Settings) -> Any:
    """Start a new actor that loads the report as it starts; None if another won the race."""
    name = directory.new_actor_name()
    if not directory.publish(settings, report_id, name):
        return None
    handle = start_actor(settings, name)
    fill_pool(settings)
    return handle


def start_actor(settings: Settings, name: str | None = None) -> Any:
    """Start a detached report actor; without an assignment in the directory it is a spare."""
    return RemoteReportHost.options(
        name=name or directory.new_actor_name(),
        namespace=settings.ray_namespace,
        lifetime="detached",
        scheduling_strategy="SPREAD",
    ).remote(settings)


def fill_pool(settings: Settings) -> None:
    """Start ``settings.actor_spares`` spares, once per cluster and settings."""
    if settings.actor_spares > 0 and directory.start_pool_once(settings):
        for _ in range(settings.actor_spares):
            start_actor(settings)


def _find(name: str, settings: Settings) -> Any:
    """Return the named actor, waiting briefly for one whose creator is starting it."""
    deadline = time.monotonic() + _APPEAR_SECONDS
    while True:
        try:
            return ray.get_actor(name, namespace=settings.ray_namespace)
        except ValueError:
            if time.monotonic() > deadline:
                return None
            time.sleep(_APPEAR_POLL_SECONDS)


def running_report_actor(report_id: uuid.UUID, settings: Settings) -> Any:
    """Return the handle of the report's actor if one runs, else None; start nothing."""
    name = directory.serving(settings, report_id)
    if name is None:
        return None
    try:
        return ray.get_actor(name, namespace=settings.ray_namespace)
    except ValueError:
        return None


def stop_report_actor(report_id: uuid.UUID, settings: Settings) -> bool:
    """Kill the report's actor if it runs; return whether one was running."""
    name = directory.serving(settings, report_id)
    if name is None:
        return False
    directory.release(settings, report_id, name)
    try:
        handle = ray.get_actor(name, namespace=settings.ray_namespace)
    except ValueError:
        return False
    ray.kill(handle, no_restart=True)
    return True


def stop_spares(settings: Settings) -> int:
    """Kill the listed spares of these settings; return how many. The pool refills on demand."""
    stopped = 0
    while (name := directory.claim_spare(settings)) is not None:
        try:
            ray.kill(ray.get_actor(name, namespace=settings.ray_namespace), no_restart=True)
            stopped += 1
        except ValueError:
            continue
    directory.forget_pool(settings)
    return stopped
