"""Finding or creating the named, detached actor of a report."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import ray

from actors.report_actor import RemoteReportActor
from config import Settings

logger = logging.getLogger(__name__)

_NAME_PREFIX = "report:"
_CREATE_ATTEMPTS = 3


def actor_name(report_id: uuid.UUID) -> str:
    return f"{_NAME_PREFIX}{report_id}"


def report_actor_handle(report_id: uuid.UUID, settings: Settings) -> Any:
    """Return the handle of the report's actor, starting it if it is not running.

    The actor is detached so that it outlives the Serve replica or task that started it,
    and Ray restarts it after a crash or the loss of its node. Ray's SPREAD strategy places
    report actors over the cluster's nodes, so losing one node restarts only its share of
    them. The spread is best effort, not an even split. Two callers creating it at once
    both end up with the same actor: the loser of the race looks the winner up by name.

    NOTE: a cold open pays a new worker process, its imports and the document load. Ray
    hands its few pre-started idle workers to the first actors and does not replace them,
    so later actors each start a process and import ray (about 0.5 s, measured on a loaded
    machine), then the storage layer (about 0.6 s of SQLAlchemy and models). The whole
    open took 1.3 s on the idle 2-core machine of docs/benchmarks.md, against a 500 ms
    target. Meeting it would need a pool of pre-started spare actors that a report is
    assigned to, with a directory in place of the per-report actor name.
    """
    name = actor_name(report_id)
    for attempt in range(_CREATE_ATTEMPTS):
        try:
            return RemoteReportActor.options(
                name=name,
                namespace=settings.ray_namespace,
                lifetime="detached",
                get_if_exists=True,
                scheduling_strategy="SPREAD",
            ).remote(str(report_id), settings)
        except ValueError:
            logger.debug("actor %s was created concurrently (attempt %d)", name, attempt + 1)
            try:
                return ray.get_actor(name, namespace=settings.ray_namespace)
            except ValueError:
                continue
    raise RuntimeError(f"could not create or find the actor {name}; check the Ray cluster")


def stop_report_actor(report_id: uuid.UUID, settings: Settings) -> bool:
    """Kill the report's actor if it runs; return whether one was running."""
    try:
        handle = ray.get_actor(actor_name(report_id), namespace=settings.ray_namespace)
    except ValueError:
        return False
    ray.kill(handle, no_restart=True)
    return True
