"""The FastAPI application behind the Serve ingress."""

from __future__ import annotations

from fastapi import FastAPI

from deployments import health, web, websocket
from deployments.guard import RequestGuard
from deployments.problems import install_problem_handlers
from deployments.ratelimit import RateLimiter
from deployments.request_context import LogContextMiddleware
from deployments.routes import (
    analysis,
    audit,
    chat,
    collaboration,
    documents,
    exports,
    insights,
    jobs,
    projects,
    reports,
    template_admin,
)
from deployments.services import Services

API_VERSION = "0.1.0"


def create_app(services: Services) -> FastAPI:
    """Build the application around a replica's services."""
    app = FastAPI(
        title="Enhanced PMR",
        version=API_VERSION,
        summary="Project Monthly Reports with earned value, risk analysis and live co-editing.",
    )
    app.state.services = services
    app.add_middleware(
        RequestGuard, tokens=services.tokens, max_upload_bytes=services.settings.max_upload_bytes
    )
    # Added after the guard, so it runs before it: floods are counted before any other work.
    app.add_middleware(
        RateLimiter,
        tokens=services.tokens,
        counter=services.rate_counter,
        settings=services.settings,
    )
    app.add_middleware(LogContextMiddleware)
    install_problem_handlers(app)
    app.include_router(projects.router)
    app.include_router(reports.router)
    app.include_router(jobs.router)
    app.include_router(analysis.router)
    app.include_router(collaboration.router)
    app.include_router(insights.router)
    app.include_router(chat.router)
    app.include_router(documents.router)
    app.include_router(exports.router)
    app.include_router(template_admin.router)
    app.include_router(audit.router)
    app.include_router(health.router)
    app.include_router(websocket.router)
    app.include_router(web.router)
    return app
