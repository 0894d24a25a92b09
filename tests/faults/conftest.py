"""A server to break: PostgreSQL, a Redis server of its own and two API replicas.

The fault tests kill parts of a running server and then check what its clients saw. The
server's database is a schema of its own on the PostgreSQL server that
``PMR_TEST_DATABASE_URL`` names (postgresql://postgres@127.0.0.1:5432/test when unset), so a
test can terminate the server's database connections without touching anyone else's. Its
Redis is a private redis-server on a free port, never the machine's server on 6379.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from config import Settings
from tests.collaboration.conftest import Server, running_server
from tests.storage.redis_server import PrivateRedis, private_redis

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="package")
def fault_database_url() -> Iterator[str]:
    """Yield the URL of a fresh PostgreSQL schema; the schema is dropped afterwards."""
    server = make_url(os.environ.get("PMR_TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL)
    server = server.set(drivername="postgresql+psycopg")
    schema = f"pmr_fault_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL at {server.render_as_string()} is unreachable ({error.orig}); start "
            "it or point PMR_TEST_DATABASE_URL at a server"
        )
    try:
        yield server.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="package")
def fault_redis() -> Iterator[PrivateRedis]:
    """A redis-server of the fault tests alone, killed after them."""
    yield from private_redis()


@pytest.fixture(scope="package")
def fault_server(
    session_settings: Settings,
    ray_cluster: None,
    fault_database_url: str,
    fault_redis: PrivateRedis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    """A server on PostgreSQL and the private Redis, with two API replicas."""
    with running_server(
        session_settings,
        tmp_path_factory.mktemp("fault-node-logs"),
        database_url=fault_database_url,
        redis_url=fault_redis.url,
        serve_replicas=2,
        serve_replica_cpus=0.25,
    ) as running:
        yield running


@pytest.fixture
def server(fault_server: Server, fault_redis: PrivateRedis) -> Iterator[Server]:
    """The fault server; a test's clients are stopped and its Redis is running afterwards."""
    yield fault_server
    fault_server.close_clients()
    if not fault_redis.running:
        fault_redis.start()


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """Return the problem details body of an error response, failing on any other kind."""
    assert response.headers.get("content-type") == PROBLEM_JSON, (
        f"{response.status_code} answered as {response.headers.get('content-type')}: "
        f"{response.text[:500]}"
    )
    body: dict[str, Any] = response.json()
    return body
