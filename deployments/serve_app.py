"""The API as a Serve application builder, for Serve config files and KubeRay.

``serve_config.yaml`` and ``kuberay-rayservice.yaml`` name ``deployments.serve_app:build``
as their ``import_path``. Serve calls the builder once per deploy, in a task on the
cluster, with the application's ``args`` from the config. The replica options in the
config's ``deployments`` entry override the ones set here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from ray.serve import Application

from config import Settings
from deployments.ingress import PmrIngress
from deployments.server import ServerStartError
from storage import Database

logger = logging.getLogger(__name__)


def settings_from(args: Mapping[str, Any]) -> Settings:
    """Read the settings from the ``PMR_*`` environment, with ``args`` taking precedence.

    The keys of ``args`` are settings field names in lower case, such as
    ``database_url`` or ``serve_replicas``.

    Raises:
        ServerStartError: a key is not a setting, or a value is invalid.
    """
    unknown = sorted(set(args) - set(Settings.model_fields))
    if unknown:
        raise ServerStartError(
            f"unknown application args {unknown}; use settings field names such as "
            "database_url or serve_replicas, or set PMR_* variables on every node"
        )
    try:
        return Settings(**args)
    except ValidationError as error:
        # Values stay out of the message and the traceback, because args may carry secrets.
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}" for problem in error.errors()
        )
        raise ServerStartError(
            f"invalid application args ({problems}); correct them in the Serve config"
        ) from None


def application(settings: Settings) -> Application:
    """Bind the API deployment to ``settings`` with the replica options they name."""
    deployment = PmrIngress.options(  # type: ignore[attr-defined]
        num_replicas=settings.serve_replicas,
        max_ongoing_requests=settings.serve_max_ongoing_requests,
        ray_actor_options={"num_cpus": settings.serve_replica_cpus},
    )
    bound: Application = deployment.bind(settings)
    return bound


def build(args: dict[str, Any]) -> Application:
    """Migrate the database and return the API application for Serve to deploy.

    Migrations run here, once per deploy, because replicas never migrate: concurrent
    upgrades of one schema would race each other.
    """
    settings = settings_from(args)
    _warn_about_single_node_settings(settings)
    database = Database(settings.sqlalchemy_url)
    try:
        database.migrate()
    finally:
        database.dispose()
    return application(settings)


def _warn_about_single_node_settings(settings: Settings) -> None:
    """Log the settings that only work while every replica and actor shares one machine."""
    if settings.jwt_secret is None:
        logger.warning(
            "PMR_JWT_SECRET is unset, so each node generates its own secret in %s and a "
            "token issued on one node fails on the others; set it on every node of a "
            "multi-node cluster",
            settings.data_dir,
        )
    if settings.sqlalchemy_url.startswith("sqlite"):
        logger.warning(
            "the database is the SQLite file %s, which only processes on this machine "
            "reach; set PMR_DATABASE_URL to a PostgreSQL server for a multi-node cluster",
            settings.sqlalchemy_url,
        )
