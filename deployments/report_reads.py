"""Serving ``GET /api/reports/pmr/{id}`` through the report cache.

With Redis a hit costs two Redis reads and neither the database nor the report's actor:
the revision the actor published, then the body cached under it. Without Redis, or when
Redis has no revision, the actor is asked for its revision, a small call, and the body
comes from this replica's LRU or from Redis. A
miss reads the document together with its revision from the actor, so the body stored is
exactly the one that revision names. Only completed reports are cached, because the body
of a generating or failed report comes from its database row, which changes without a
new revision.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel

from actors import metrics
from deployments.services import Services
from storage import ReportRecord

logger = logging.getLogger(__name__)

Render = Callable[[ReportRecord, dict[str, Any] | None], BaseModel]


async def read_report(services: Services, report_id: uuid.UUID, render: Render) -> Response:
    """Return the report's JSON body, from the cache when its revision is cached."""
    cache = services.report_cache
    store = "redis" if cache.shared else "local"
    revision = await cache.revision(report_id)
    if revision is not None:
        body = await cache.get(report_id, revision)
        metrics.cache_lookup(body is not None, store)
        if body is not None:
            return _json(body)
    record = await asyncio.to_thread(services.reports.get, report_id)
    if record.status != "completed":
        return _json(render(record, None).model_dump_json().encode())
    if revision is None and (cache.shared or services.settings.report_cache_entries):
        # Without Redis this is the only way to learn the revision. With Redis the actor
        # also publishes it again, which matters after Redis restarted without its data.
        revision = await services.gateway.revision(report_id)
        body = await cache.get(report_id, revision)
        metrics.cache_lookup(body is not None, store)
        if body is not None:
            return _json(body)
    read = await services.gateway.read_revision(report_id)
    body = render(record, read["document"]).model_dump_json().encode()
    if cache.shared or services.settings.report_cache_entries:
        await cache.put(report_id, read["revision"], body)
    return _json(body)


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")
