"""Report actors and the Ray tasks that generate, simulate and export."""

from actors.cluster import connect
from actors.gateway import ReportGateway
from actors.generation import GenerationPlan, run_generation
from actors.registry import report_actor, stop_report_actor

__all__ = [
    "GenerationPlan",
    "ReportGateway",
    "connect",
    "report_actor",
    "run_generation",
    "stop_report_actor",
]
