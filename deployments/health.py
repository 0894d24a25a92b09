"""Liveness and readiness probes; neither needs a token.

``/healthz`` returns 200 as long as the replica's event loop runs. ``/readyz`` checks what a
request needs: the database, Redis when it is configured, and the Ray cluster. It returns
200 when all pass and 503 naming each failed check with its error, so a load balancer or
Kubernetes can take the replica out of rotation until they recover.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import ray
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from deployments.services import Services

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

# Each check must respond within this time; a hung dependency counts as failed.
CHECK_SECONDS = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    checks: dict[str, Any] = {"database": _database(services), "ray": _ray()}
    if services.redis is not None:
        checks["redis"] = services.redis.ping()
    names = list(checks)
    results = await asyncio.gather(*(_timed(name, checks[name]) for name in names))
    failed = {name: error for name, error in zip(names, results, strict=True) if error}
    body: dict[str, Any] = {
        "status": "unavailable" if failed else "ready",
        "checks": {name: {"ok": name not in failed, "error": failed.get(name)} for name in names},
    }
    _log_change(frozenset(failed), failed)
    return JSONResponse(body, status_code=503 if failed else 200)


# Probes come every few seconds, so only a change of the failed checks is logged.
_last_failed: frozenset[str] = frozenset()


def _log_change(names: frozenset[str], failed: dict[str, str]) -> None:
    global _last_failed
    if names == _last_failed:
        return
    _last_failed = names
    if failed:
        logger.warning("not ready: %s", "; ".join(f"{n}: {e}" for n, e in failed.items()))
    else:
        logger.info("ready again: the database, Redis and Ray respond")


async def _timed(name: str, check: Any) -> str | None:
    try:
        result: str | None = await asyncio.wait_for(check, CHECK_SECONDS)
    except TimeoutError:
        return f"{name} check timed out after {CHECK_SECONDS:.0f} s"
    return result


async def _database(services: Services) -> str | None:
    def probe() -> None:
        with services.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        await asyncio.to_thread(probe)
    except Exception as error:
        return f"{type(error).__name__}: {_first_line(error)}; check PMR_DATABASE_URL"
    return None


async def _ray() -> str | None:
    if not ray.is_initialized():
        return "this process is not connected to Ray"
    try:
        await asyncio.to_thread(ray.cluster_resources)
    except Exception as error:
        return f"{type(error).__name__}: {_first_line(error)}; check the Ray head node"
    return None


def _first_line(error: BaseException) -> str:
    message = str(error).strip()
    return message.splitlines()[0] if message else "no detail given"
