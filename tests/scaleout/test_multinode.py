"""Scale-out on a three-node Ray cluster: placement of report actors and simulation chunks,
and report actors that survive the loss of their node.

The cluster runs in a child process (node_loss_scenario.py), because this test session
may already be connected to its own single-node Ray instance.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from risk_analysis import build_model, merge, plan_chunks, run_chunk
from schedules import import_schedule, sample_project_bytes

SCENARIO = Path(__file__).with_name("node_loss_scenario.py")
REPOSITORY = Path(__file__).resolve().parents[2]
# Starting three nodes and restarting actors takes 1.5 minutes on a loaded 2-core machine.
SCENARIO_TIMEOUT_SECONDS = 600


def scenario_environment(ray_folder: str) -> dict[str, str]:
    """Return this process's environment without its Ray connection, Ray files in a folder."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "RAY_ADDRESS" and not key.startswith("RAY_SERVE_")
    }
    environment["RAY_TMPDIR"] = ray_folder
    return environment


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the scenario once for the module and return the JSON it printed."""
    data_dir = tmp_path_factory.mktemp("scaleout-data")
    # Ray's socket paths must stay under 108 bytes, so its folder gets a short name.
    ray_folder = tempfile.mkdtemp(prefix="pmr-ray-")
    try:
        completed = subprocess.run(
            [sys.executable, str(SCENARIO), str(data_dir)],
            cwd=REPOSITORY,
            env=scenario_environment(ray_folder),
            capture_output=True,
            text=True,
            timeout=SCENARIO_TIMEOUT_SECONDS,
            check=False,
        )
    finally:
        shutil.rmtree(ray_folder, ignore_errors=True)
    assert completed.returncode == 0, f"scenario failed: {completed.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def all_nodes(observed: dict[str, Any]) -> set[str]:
    return {observed["head"], *observed["workers"]}


@pytest.fixture(scope="module")
def one_process_result(observed: dict[str, Any]) -> Any:
    """Compute the scenario's simulation in this process, without Ray, as JSON values."""
    settings = observed["simulation"]
    project = import_schedule(sample_project_bytes(), "sample.json", max_bytes=10**7).project
    model = build_model(
        project,
        schedule_uncertainty=settings["schedule_uncertainty"],
        budget_uncertainty=settings["budget_uncertainty"],
    )
    chunks = plan_chunks(settings["seed"], settings["iterations"], settings["block_iterations"])
    aggregates = [run_chunk(model, chunk.seed, chunk.size) for chunk in chunks]
    result = merge(model, aggregates, confidence_levels=settings["confidence_levels"])
    return json.loads(json.dumps(result.to_dict()))


def test_report_actors_spread_over_nodes(observed: dict[str, Any]) -> None:
    placements = observed["actors_before"]

    hosts = {placement["node"] for placement in placements.values()}

    assert len(placements) == observed["simulation"]["reports"]
    assert hosts <= all_nodes(observed)
    assert len(hosts) >= 2, f"every report actor ran on one node: {placements}"


def test_simulation_chunks_run_on_every_node(observed: dict[str, Any]) -> None:
    traced = observed["traced_before"]

    assert set(traced["task_nodes"]) == all_nodes(observed)


def test_node_loss_restarts_actors_on_survivors(observed: dict[str, Any]) -> None:
    removed = observed["removed"]
    before = observed["actors_before"]
    after = observed["actors_after"]

    lost = {report for report, placement in before.items() if placement["node"] == removed}

    assert lost, f"the removed node {removed} hosted no report actor: {before}"
    assert set(after) == set(before)
    for report, placement in after.items():
        assert placement["state"] == "ALIVE", (report, placement)
        assert placement["node"] != removed, (report, placement)
        assert placement["node"] in all_nodes(observed), (report, placement)
        assert placement["restarts"] == (1 if report in lost else 0), (report, placement)


def test_node_loss_keeps_documents(observed: dict[str, Any]) -> None:
    before = observed["documents_before"]
    after = observed["documents_after"]

    bodies = [document["sections"][0]["body"] for document in after.values()]

    assert after == before
    assert all(body.endswith("Appended.") for body in bodies), bodies


def test_simulation_chunks_run_on_survivors(observed: dict[str, Any]) -> None:
    survivors = all_nodes(observed) - {observed["removed"]}

    traced = observed["traced_after"]

    assert set(traced["task_nodes"]) == survivors


@pytest.mark.parametrize(
    "run",
    ["traced_before", "server_before", "traced_after", "server_after"],
)
def test_simulation_result_matches_one_process(
    observed: dict[str, Any], one_process_result: Any, run: str
) -> None:
    result = observed[run]["result"]

    assert result == one_process_result
