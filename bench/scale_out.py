"""Measure scale-out on a three-node Ray cluster built on this machine.

    python bench/scale_out.py

Runs tests/scaleout/node_loss_scenario.py, the scenario that the scale-out tests assert on,
in a process of its own. It starts a head node and two worker nodes of one CPU each,
spreads eight report actors over them and runs 100,000 simulation iterations on the whole
cluster. Then it removes the worker node with the most report actors. This script prints
where actors and simulation tasks ran, how long the node start, the simulations and the
recovery of every report took, and whether every document came back intact.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from common import machine

REPOSITORY = Path(__file__).resolve().parents[1]
SCENARIO = REPOSITORY / "tests" / "scaleout" / "node_loss_scenario.py"
TIMEOUT_SECONDS = 900


def run_scenario() -> tuple[dict[str, Any], float]:
    """Run the scenario in a private Ray folder; return what it observed and its wall time."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "RAY_ADDRESS" and not key.startswith("RAY_SERVE_")
    }
    # Ray's socket paths must stay under 108 bytes, so its folder gets a short name.
    ray_folder = tempfile.mkdtemp(prefix="pmr-ray-")
    environment["RAY_TMPDIR"] = ray_folder
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            completed = subprocess.run(
                [sys.executable, str(SCENARIO), data_dir],
                cwd=REPOSITORY,
                env=environment,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
    finally:
        shutil.rmtree(ray_folder, ignore_errors=True)
    wall = time.monotonic() - started
    if completed.returncode != 0:
        sys.exit(f"the scenario failed:\n{completed.stderr[-4000:]}")
    observed: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return observed, wall


def node_names(observed: dict[str, Any]) -> dict[str, str]:
    names = {observed["head"]: "head"}
    for number, node in enumerate(observed["workers"], start=1):
        names[node] = f"worker {number}"
    return names


def actors_per_node(placements: dict[str, Any], names: dict[str, str]) -> str:
    counts = Counter(names[placement["node"]] for placement in placements.values())
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


def tasks_per_node(traced: dict[str, Any], names: dict[str, str]) -> str:
    counts = {names[node]: count for node, count in traced["tasks_per_node"].items()}
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


def main() -> None:
    load_before = os.getloadavg()[0]
    observed, wall = run_scenario()
    names = node_names(observed)
    before, after = observed["documents_before"], observed["documents_after"]
    intact = sum(1 for report, document in before.items() if after.get(report) == document)
    moved = sum(
        1
        for report, placement in observed["actors_before"].items()
        if placement["node"] == observed["removed"]
    )
    lines = [
        f"machine: {machine()}; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after",
        f"scenario wall time {wall:.1f} s; three nodes started in "
        f"{observed['cluster_start_seconds']:.1f} s",
        f"report actors per node before the loss: "
        f"{actors_per_node(observed['actors_before'], names)}",
        f"simulation of {observed['simulation']['iterations']:,} iterations on three nodes: "
        f"{observed['traced_before']['seconds']:.1f} s, tasks per node "
        f"{tasks_per_node(observed['traced_before'], names)}",
        f"removed {names[observed['removed']]}, which hosted {moved} report actors; every "
        f"report read back after {observed['recovery_seconds']:.1f} s",
        f"report actors per node after the loss: "
        f"{actors_per_node(observed['actors_after'], names)}",
        f"documents intact after the loss: {intact} of {len(before)}",
        f"simulation on the two surviving nodes: {observed['traced_after']['seconds']:.1f} s, "
        f"tasks per node {tasks_per_node(observed['traced_after'], names)}",
    ]
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
