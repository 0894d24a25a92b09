"""Fixtures shared by every test package."""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, make_url, text

from config import Settings
from storage import Database

if TYPE_CHECKING:
    from tests.knowledge.scripted_model import ScriptedModel

_REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder with the real schedules and benchmark networks used by data-driven tests.

    ``PMR_TEST_DATA`` overrides the location; by default it sits beside the checkout.
    """
    folder = Path(os.environ.get("PMR_TEST_DATA", _REPOSITORY.parent / "shared" / "data"))
    if not folder.is_dir():
        pytest.skip(f"real test data not found at {folder}; set PMR_TEST_DATA to its folder")
    return folder


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """One local Ray instance for every test that needs actors or tasks."""
    import ray

    from actors.cluster import WORKER_NICENESS
    from deployments.server import serve_environment

    # Serve in the tests takes the production path: HAProxy with direct ingress where
    # haproxy is installed. Serve reads these variables in the driver and in the workers.
    environment = serve_environment(Settings())
    os.environ.update(environment)
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=128 * 1024 * 1024,
        namespace="enhanced-pmr-tests",
        log_to_driver=False,
        runtime_env={"env_vars": environment} if environment else None,
        _system_config={"worker_niceness": WORKER_NICENESS},
    )
    yield
    ray.shutdown()


@contextmanager
def _integration_database_url(data_dir: Path) -> Iterator[str]:
    """Yield the database URL of the integration tier, SQLite unless told otherwise.

    ``PMR_TEST_DATABASE_URL`` set to a PostgreSQL URL runs the tier there instead, in a
    schema made for the session and dropped after it; every actor process reaches the
    same schema through the URL's search_path option.
    """
    server = os.environ.get("PMR_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{data_dir / 'pmr.sqlite3'}"
        return
    schema = f"pmr_test_{uuid.uuid4().hex[:12]}"
    url = make_url(server).set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings on a fresh, migrated database shared by the tests of one session."""
    data_dir = tmp_path_factory.mktemp("pmr-data")
    with _integration_database_url(data_dir) as url:
        settings = Settings(
            data_dir=data_dir,
            database_url=url,
            jwt_secret="test-secret-" + "x" * 40,
            ray_namespace="enhanced-pmr-tests",
            monte_carlo_iterations=2000,
            # Tests that need spare report actors ask for them; the others start none.
            actor_spares=0,
        )
        database = Database(settings.sqlalchemy_url)
        database.migrate()
        database.dispose()
        yield settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the fault tests after every other test of the session.

    They kill Serve replicas and report actors on purpose, so no other test should meet the
    Ray instance they leave behind.
    """
    faults = Path(__file__).resolve().parent / "faults"
    items.sort(key=lambda item: Path(str(item.path)).is_relative_to(faults))


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModel]:
    """An OpenAI-compatible server on loopback that returns the responses scripted on it."""
    # Loaded by path: the tests are not a package that the test modules could import from.
    path = Path(__file__).with_name("knowledge") / "scripted_model.py"
    spec = importlib.util.spec_from_file_location("pmr_scripted_model", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    model: ScriptedModel = module.ScriptedModel()
    model.start()
    yield model
    model.stop()
