"""Report actors and the Ray tasks that generate, simulate and export.

The gateway and generation load on first use, so that a report actor's process imports only
what the actor needs and starts sooner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors.cluster import connect
from actors.registry import fill_pool, report_actor_handle, stop_report_actor
from config.lazy import lazy_attributes

if TYPE_CHECKING:
    from actors.gateway import ReportGateway
    from actors.generation import GenerationPlan, run_generation
    from actors.simulation_tasks import prepare_simulation_kernels

__all__ = [
    "GenerationPlan",
    "ReportGateway",
    "connect",
    "fill_pool",
    "prepare_simulation_kernels",
    "report_actor_handle",
    "run_generation",
    "stop_report_actor",
]

_LAZY = {
    "GenerationPlan": "actors.generation",
    "ReportGateway": "actors.gateway",
    "prepare_simulation_kernels": "actors.simulation_tasks",
    "run_generation": "actors.generation",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
