"""A three-node Ray cluster on this machine: where report actors and simulation chunks run,
and what happens to the report actors of a node that is removed.

    python tests/scaleout/node_loss_scenario.py DATA_DIR

tests/scaleout/test_multinode.py runs this in a process of its own, because a process has
only one Ray connection and the test session's is a single-node instance. The script
prints one JSON object with what it observed, and the test asserts on it. Set RAY_TMPDIR
to a private folder: the cluster records its address in Ray's temporary folder, where a
plain ``ray.init()`` elsewhere on the machine would otherwise find it and join it.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ray
from ray.cluster_utils import Cluster
from ray.exceptions import GetTimeoutError, RayActorError

from actors import directory, report_actor_handle
from actors.simulation_tasks import BLOCK_ITERATIONS, group_blocks, simulate_on_ray
from config import Settings
from risk_analysis import (
    ChunkAggregate,
    ChunkSpec,
    SimulationModel,
    build_model,
    combine,
    merge,
    plan_chunks,
    run_chunk,
)
from schedules import import_schedule, sample_project_bytes
from storage import Database, ProjectRepository, ReportRepository

REPORTS = 8
SEED = 20260
ITERATIONS = 100_000
CONFIDENCE_LEVELS = (0.5, 0.8, 0.9)
# The uncertainty that report generation applies (actors.generation).
SCHEDULE_UNCERTAINTY = 0.2
BUDGET_UNCERTAINTY = 0.15
# Small stores keep three nodes within the memory of a development machine.
OBJECT_STORE_BYTES = 80 * 1024 * 1024
RECOVERY_SECONDS = 180.0


@ray.remote(num_cpus=1)
def blocks_with_node(
    model: SimulationModel, blocks: Sequence[ChunkSpec]
) -> tuple[str, ChunkAggregate]:
    """Run blocks as the server's simulation task does, and name the node that ran them."""
    aggregate = combine([run_chunk(model, block.seed, block.size) for block in blocks])
    return ray.get_runtime_context().get_node_id(), aggregate


def model_of_sample() -> SimulationModel:
    """Build the uncertainty model of the bundled sample project, as generation does."""
    project = import_schedule(sample_project_bytes(), "sample.json", max_bytes=10**7).project
    return build_model(
        project,
        schedule_uncertainty=SCHEDULE_UNCERTAINTY,
        budget_uncertainty=BUDGET_UNCERTAINTY,
    )


def create_reports(settings: Settings) -> list[uuid.UUID]:
    """Store the sample project and empty reports of it, and return the report ids."""
    database = Database(settings.sqlalchemy_url)
    try:
        database.migrate()
        imported = import_schedule(sample_project_bytes(), "sample.json", max_bytes=10**7)
        project_id = ProjectRepository(database).add(imported, filename="sample.json")
        reports = ReportRepository(database)
        return [
            reports.create(project_id, title=f"Scale-out {index}", report_month="2025-07").id
            for index in range(REPORTS)
        ]
    finally:
        database.dispose()


def write_documents(report_ids: list[uuid.UUID], settings: Settings) -> dict[str, Any]:
    """Write a section into each report through its actor, append to it, return the views."""
    documents: dict[str, Any] = {}
    for index, report_id in enumerate(report_ids):
        handle = report_actor_handle(report_id, settings)
        content = {
            "meta": {"title": f"Scale-out {index}"},
            "sections": [
                {
                    "section_id": "summary",
                    "title": "Summary",
                    "body": f"Report {index} was written before the node loss.",
                    "order": 1,
                }
            ],
        }
        ray.get(handle.write_generated.remote(content))
        ray.get(
            handle.update_section.remote(
                "summary", title=None, body="Appended.", metrics=None, strategy="append"
            )
        )
        documents[str(report_id)] = ray.get(handle.read.remote())
    return documents


def actor_nodes(report_ids: list[uuid.UUID], settings: Settings) -> dict[str, dict[str, Any]]:
    """Return each report actor's node, state and restart count from Ray's actor table."""
    names = {directory.serving(settings, report_id): str(report_id) for report_id in report_ids}
    table: dict[str, dict[str, Any]] = ray._private.state.actors()
    found: dict[str, dict[str, Any]] = {}
    for entry in table.values():
        if entry["Name"] in names and entry["State"] != "DEAD":
            found[names[entry["Name"]]] = {
                "node": entry["Address"]["NodeID"],
                "state": entry["State"],
                "restarts": entry["NumRestarts"],
            }
    return found


def traced_simulation(model_ref: Any) -> dict[str, Any]:
    """Run the simulation's blocks as tasks that name their node, and return both."""
    model: SimulationModel = ray.get(model_ref)
    groups = group_blocks(plan_chunks(SEED, ITERATIONS, BLOCK_ITERATIONS))
    started = time.monotonic()
    ran = ray.get([blocks_with_node.remote(model_ref, group) for group in groups])
    seconds = time.monotonic() - started
    result = merge(model, [aggregate for _, aggregate in ran], confidence_levels=CONFIDENCE_LEVELS)
    return {
        "tasks": len(ran),
        "task_nodes": sorted({node for node, _ in ran}),
        "tasks_per_node": dict(Counter(node for node, _ in ran)),
        "seconds": seconds,
        "result": result.to_dict(),
    }


def server_simulation(model_ref: Any) -> dict[str, Any]:
    """Run the simulation through the server's own fan-out and return its result."""
    result = simulate_on_ray(
        model_ref, seed=SEED, iterations=ITERATIONS, confidence_levels=CONFIDENCE_LEVELS
    )
    return {"result": result.to_dict()}


def simulation_settings() -> dict[str, Any]:
    """Return what a test needs to repeat the simulation in one process."""
    return {
        "reports": REPORTS,
        "seed": SEED,
        "iterations": ITERATIONS,
        "block_iterations": BLOCK_ITERATIONS,
        "confidence_levels": list(CONFIDENCE_LEVELS),
        "schedule_uncertainty": SCHEDULE_UNCERTAINTY,
        "budget_uncertainty": BUDGET_UNCERTAINTY,
    }


def read_after_loss(report_id: uuid.UUID, settings: Settings, deadline: float) -> Any:
    """Read a report through the registry, retrying calls that reached the lost node.

    Report actor calls are not retried, so a call sent before Ray marked the node dead
    fails with RayActorError. A call sent later waits for the restarted actor.
    """
    failures: list[str] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(
                f"report {report_id} could not be read within {RECOVERY_SECONDS} s of the node "
                f"loss, so Ray did not restart its actor on a surviving node (errors: {failures})"
            )
        try:
            handle = report_actor_handle(report_id, settings)
            return ray.get(handle.read.remote(), timeout=remaining)
        except (RayActorError, GetTimeoutError) as error:
            failures.append(type(error).__name__)


def start_cluster() -> tuple[Cluster, list[Any]]:
    """Start a head node and two worker nodes of one CPU each."""
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 1,
            "object_store_memory": OBJECT_STORE_BYTES,
            "include_dashboard": False,
        },
    )
    workers = [
        cluster.add_node(num_cpus=1, object_store_memory=OBJECT_STORE_BYTES) for _ in range(2)
    ]
    cluster.wait_for_nodes()
    return cluster, workers


def observe_spread(report_ids: list[uuid.UUID], settings: Settings) -> dict[str, Any]:
    """Write the reports and run the simulation on the whole cluster; return what ran where."""
    model_ref = ray.put(model_of_sample())
    return {
        "documents_before": write_documents(report_ids, settings),
        "actors_before": actor_nodes(report_ids, settings),
        "traced_before": traced_simulation(model_ref),
        "server_before": server_simulation(model_ref),
    }


def observe_loss(
    cluster: Cluster, victim: Any, report_ids: list[uuid.UUID], settings: Settings
) -> dict[str, Any]:
    """Remove the victim node, read every report again and rerun the simulation."""
    lost_at = time.monotonic()
    cluster.remove_node(victim)
    deadline = lost_at + RECOVERY_SECONDS
    documents = {
        str(report_id): read_after_loss(report_id, settings, deadline) for report_id in report_ids
    }
    recovery_seconds = time.monotonic() - lost_at
    model_ref = ray.put(model_of_sample())
    return {
        "removed": victim.node_id,
        "documents_after": documents,
        "recovery_seconds": recovery_seconds,
        "actors_after": actor_nodes(report_ids, settings),
        "traced_after": traced_simulation(model_ref),
        "server_after": server_simulation(model_ref),
    }


def run(data_dir: Path) -> dict[str, Any]:
    """Run the whole scenario and return what was observed."""
    settings = Settings(
        data_dir=data_dir, jwt_secret="scale-out-" + "x" * 40, ray_namespace="pmr-scaleout"
    )
    report_ids = create_reports(settings)
    started = time.monotonic()
    cluster, workers = start_cluster()
    observed: dict[str, Any] = {
        "cluster_start_seconds": time.monotonic() - started,
        "simulation": simulation_settings(),
    }
    try:
        ray.init(address=cluster.address, namespace=settings.ray_namespace, log_to_driver=False)
        # The driver joins through the head node.
        observed["head"] = ray.get_runtime_context().get_node_id()
        observed["workers"] = [worker.node_id for worker in workers]
        observed.update(observe_spread(report_ids, settings))
        # The worker with the most report actors goes, so the loss restarts as many as it can.
        hosts = [placement["node"] for placement in observed["actors_before"].values()]
        victim = max(workers, key=lambda worker: hosts.count(worker.node_id))
        observed.update(observe_loss(cluster, victim, report_ids, settings))
    finally:
        ray.shutdown()
        cluster.shutdown()  # type: ignore[no-untyped-call]
    return observed


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: node_loss_scenario.py DATA_DIR")
    observed = run(Path(sys.argv[1]))
    print(json.dumps(observed))


if __name__ == "__main__":
    main()
