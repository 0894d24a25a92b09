"""What the API replicas call: report actors and generation tasks behind one object."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import ray
from ray.exceptions import ActorUnavailableError, RayActorError

from actors.generation import GenerationPlan, run_generation
from actors.monte_carlo_job import SimulationPlan, run_simulation
from actors.registry import report_actor_handle
from config import Settings

logger = logging.getLogger(__name__)

# Reads are retried while an actor restarts, because Ray reloads it from storage; the
# backoff (0.2 s doubling, about 13 s in all) covers a reload under load.
_READ_ATTEMPTS = 7
_RETRY_SECONDS = 0.2


class ReportGateway:
    """Routes report operations to the report's actor and starts generation jobs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def read_document(self, report_id: uuid.UUID) -> dict[str, Any]:
        """Return the report document, waiting out a restart of its actor."""
        document: dict[str, Any] = await self._read(report_id, "read")
        return document

    async def read_revision(self, report_id: uuid.UUID) -> dict[str, Any]:
        """Return the document and its revision token (``document``, ``revision``)."""
        read: dict[str, Any] = await self._read(report_id, "read_revision")
        return read

    async def revision(self, report_id: uuid.UUID) -> str:
        """Return the revision token of the report's document."""
        token: str = await self._read(report_id, "revision")
        return token

    async def _read(self, report_id: uuid.UUID, method: str) -> Any:
        for attempt in range(1, _READ_ATTEMPTS + 1):
            try:
                handle = report_actor_handle(report_id, self.settings)
                return await getattr(handle, method).remote()
            except RayActorError as error:
                # A restarting actor answers again soon; a dead one whose load failed does
                # not, and retrying would only start and fail new actors.
                restarting = isinstance(error, ActorUnavailableError)
                if attempt == _READ_ATTEMPTS or (not restarting and attempt > 1):
                    raise
                logger.warning(
                    "report %s actor unavailable during a read (%s); retrying",
                    report_id,
                    type(error).__name__,
                )
                await asyncio.sleep(_RETRY_SECONDS * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    async def update_section(
        self,
        report_id: uuid.UUID,
        section_id: str,
        *,
        title: str | None,
        body: str | None,
        metrics: Mapping[str, Any] | None,
        strategy: str,
        user: str,
    ) -> dict[str, Any]:
        """Apply a section update through the report's actor.

        Not retried: an update whose actor died may already be stored, and repeating an
        append would add the paragraph twice.
        """
        handle = report_actor_handle(report_id, self.settings)
        result: dict[str, Any] = await handle.update_section.remote(
            section_id, title=title, body=body, metrics=metrics, strategy=strategy, user=user
        )
        logger.info("report %s section %s updated by %s", report_id, section_id, user)
        return result

    def start_simulation(self, plan: SimulationPlan) -> ray.ObjectRef[None]:
        """Submit a Monte Carlo analysis as a Ray task; progress is followed through its job."""
        logger.info("report %s simulation submitted as job %s", plan.report_id, plan.job_id)
        reference: ray.ObjectRef[None] = run_simulation.remote(plan, self.settings)
        return reference

    def start_generation(self, plan: GenerationPlan) -> ray.ObjectRef[None]:
        """Submit the generation as a Ray task; progress is followed through its job."""
        logger.info("report %s generation submitted as job %s", plan.report_id, plan.job_id)
        reference: ray.ObjectRef[None] = run_generation.remote(plan, self.settings)
        return reference
