"""The Serve config file and the application builder it names.

Most tests call the builder as Serve would, without starting Serve: building an
application only binds the deployment to its arguments. One test deploys the config file
with `serve run` in a child process, on a Ray instance of its own.
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from ray.serve import Application
from ray.serve.schema import ServeDeploySchema
from sqlalchemy import create_engine, inspect

from config import Settings
from deployments.serve_app import build
from deployments.server import ServerStartError

CONFIG = Path(__file__).resolve().parents[2] / "serve_config.yaml"
SERVE = Path(sys.executable).with_name("serve")
# Starting Ray, Serve, the build task and two replicas takes about a minute on a loaded
# 2-core machine.
DEPLOY_SECONDS = 300.0


def load_config() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    return config


def import_builder(import_path: str) -> Any:
    module_name, _, attribute = import_path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def builder_args(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "data_dir": str(tmp_path),
        "database_url": f"sqlite:///{tmp_path / 'pmr.sqlite3'}",
        "jwt_secret": "serve-config-" + "x" * 40,
        **extra,
    }


def test_serve_config_matches_serve_schema() -> None:
    config = load_config()

    schema = ServeDeploySchema.model_validate(config)

    assert [application.name for application in schema.applications] == ["pmr"]
    assert schema.applications[0].route_prefix == "/"


def test_serve_config_imports_the_builder() -> None:
    application = load_config()["applications"][0]

    builder = import_builder(application["import_path"])

    assert builder is build


def test_serve_config_names_the_built_deployment(tmp_path: Path) -> None:
    application = load_config()["applications"][0]

    built = build({**builder_args(tmp_path), **application["args"]})

    configured = [deployment["name"] for deployment in application["deployments"]]
    assert configured == [built._bound_deployment.name]


def test_serve_config_raises_the_replica_limits() -> None:
    deployment = load_config()["applications"][0]["deployments"][0]

    assert deployment["num_replicas"] >= 2
    assert deployment["max_ongoing_requests"] >= 1000
    assert deployment["ray_actor_options"]["num_cpus"] < 1


def test_builder_binds_settings_from_args(tmp_path: Path) -> None:
    args = builder_args(tmp_path, serve_replicas="3", serve_replica_cpus="0.25")

    built = build(args)

    deployment = built._bound_deployment
    settings = deployment.init_args[0]
    assert isinstance(built, Application)
    assert isinstance(settings, Settings)
    assert settings.sqlalchemy_url == args["database_url"]
    assert deployment.num_replicas == 3
    assert deployment.ray_actor_options == {"num_cpus": 0.25}


def test_builder_migrates_the_database(tmp_path: Path) -> None:
    args = builder_args(tmp_path)

    build(args)

    engine = create_engine(args["database_url"])
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"alembic_version", "reports", "report_updates"} <= tables


def test_builder_rejects_unknown_args(tmp_path: Path) -> None:
    args = builder_args(tmp_path, database="postgresql://elsewhere/pmr")

    with pytest.raises(ServerStartError, match=r"unknown application args \['database'\]"):
        build(args)


def test_builder_rejects_invalid_value_without_echoing_it(tmp_path: Path) -> None:
    args = builder_args(tmp_path, serve_replicas="many-secret-replicas")

    with pytest.raises(ServerStartError, match="serve_replicas") as raised:
        build(args)

    assert "many-secret-replicas" not in str(raised.value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve_run_environment(data_dir: Path, ray_folder: str) -> dict[str, str]:
    """Return an environment with only this test's PMR_* settings and Ray folder."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("PMR_", "RAY_"))
    }
    environment.update(
        PMR_DATA_DIR=str(data_dir),
        PMR_JWT_SECRET="serve-run-" + "x" * 40,
        # The local instance records its address here, not where other Ray users look.
        RAY_TMPDIR=ray_folder,
    )
    return environment


def wait_healthy(process: subprocess.Popen[bytes], url: str) -> httpx.Response:
    """Poll the health endpoint until it returns 200, the process exits or time runs out."""
    deadline = time.monotonic() + DEPLOY_SECONDS
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            try:
                response = client.get(url)
                if response.status_code == 200:
                    return response
            except httpx.TransportError:
                pass
            # Waiting on the process paces the polling and notices an early exit.
            try:
                code = process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"serve run exited with {code} before the API answered")
    raise AssertionError(f"{url} did not answer 200 within {DEPLOY_SECONDS} s")


def test_serve_config_deploys_the_api(tmp_path: Path) -> None:
    port = free_port()
    config = load_config()
    config["http_options"] = {"host": "127.0.0.1", "port": port}
    config_path = tmp_path / "serve_config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    ray_folder = tempfile.mkdtemp(prefix="pmr-ray-")
    log_path = tmp_path / "serve-run.log"

    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(SERVE), "run", str(config_path)],
            env=serve_run_environment(tmp_path, ray_folder),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            health = wait_healthy(process, f"http://127.0.0.1:{port}/healthz")
            openapi = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=30)
        finally:
            stop_serve_run(process)
            shutil.rmtree(ray_folder, ignore_errors=True)

    assert health.json() == {"status": "ok"}, log_path.read_text()[-4000:]
    assert openapi.status_code == 200
    assert (tmp_path / "pmr.sqlite3").is_file()


def stop_serve_run(process: subprocess.Popen[bytes]) -> None:
    """Interrupt `serve run` as Ctrl-C would, and kill its process group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
