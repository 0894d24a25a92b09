"""Time the Monte Carlo simulation on a real schedule, on Ray, against pmcontrols.

In one run on one machine:

1. ``build_model`` once, ``ray.put`` the model and run 10,000 iterations through the
   server's own fan-out, ``simulate_on_ray``: blocks of 500 iterations grouped into Ray
   tasks, one per worker for a run this short, aggregates merged as they arrive. This runs
   with one and with two Ray workers (``num_cpus`` 1 and 2), each timed after a warm-up
   run that starts the workers. Every timed run puts the model again, so each worker reads
   it from the object store as it would for a new job.
2. ``pmcontrols.pert`` (PyPI package pmcontrols, MIT licence) on the same network converted
   to its input: records with ``a``, ``m``, ``b`` three-point durations and predecessors.
   It knows neither calendars, lags, link types, progress, constraints nor costs, so every
   link becomes finish-to-start without lag, durations stay working hours used as plain
   numbers, completed activities take no time and estimates are (0.9 R, R, 1.2 R) for the
   remaining duration R. It runs as many times as the short Ray runs, because its time
   varies between runs as much as ours. This engine runs that converted network too, once,
   in one process, with the same Beta-PERT estimates, for a like-for-like result.
3. 1,000,000 iterations on two Ray workers, with the driver's peak memory.

``--profile N`` instead runs the 10,000 iterations chunk by chunk in this process under
cProfile, after one warm-up chunk, and prints the N functions that took the most time of
their own: where a chunk's time goes, without Ray.

Other work on the machine slows the wall-clock figures, so the load average before and
after the run is printed with them.

    python bench/monte_carlo.py PATH/sp10-cost-loaded.xer
    python bench/monte_carlo.py PATH/sp10-cost-loaded.xer --profile 12
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pmcontrols
import ray
from common import machine, timed

from actors.cluster import WORKER_ALLOCATOR_ENV, WORKER_NICENESS
from actors.simulation_tasks import BLOCK_ITERATIONS, simulate_on_ray, task_count
from risk_analysis import (
    SimulationModel,
    SimulationResult,
    build_model,
    build_network,
    plan_chunks,
    run_chunk,
    simulate,
)
from schedules.model import (
    Activity,
    ActivityStatus,
    ActivityType,
    Distribution,
    Project,
    Relationship,
    ThreePointEstimate,
)
from schedules.xer import read_xer

_OBJECT_STORE_BYTES = 256 * 1024 * 1024
_CONFIDENCE_LEVELS = (0.5, 0.8, 0.95)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("schedule", type=Path, help="P6 XER file, e.g. sp10-cost-loaded.xer")
    parser.add_argument("--iterations", type=int, default=10_000, help="Iterations (10,000).")
    parser.add_argument("--large", type=int, default=1_000_000, help="Large run (1,000,000).")
    parser.add_argument("--seed", type=int, default=1, help="Seed of every run (1).")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="Timed runs of the 10,000 iterations, on each engine (3).",
    )
    parser.add_argument(
        "--profile", type=int, default=0, help="Profile lines to print in place of the Ray runs."
    )
    return parser.parse_args()


def _fan_out(model_ref: Any, iterations: int, seed: int) -> tuple[SimulationResult, int]:
    """Run the server's fan-out on a put model; return the result and the task count."""
    blocks = len(plan_chunks(seed, iterations, BLOCK_ITERATIONS))
    tasks = task_count(blocks, int(ray.cluster_resources()["CPU"]))  # type: ignore[no-untyped-call]
    result = simulate_on_ray(
        model_ref, seed=seed, iterations=iterations, confidence_levels=_CONFIDENCE_LEVELS
    )
    return result, tasks


def _ray_runs(
    model: SimulationModel, workers: int, arguments: argparse.Namespace, large: bool
) -> list[str]:
    lines = []
    started, _ = timed(
        lambda: ray.init(
            num_cpus=workers,
            include_dashboard=False,
            object_store_memory=_OBJECT_STORE_BYTES,
            log_to_driver=False,
            # As the server runs its workers: at normal priority, not Ray's default of 15,
            # and with the same allocator settings.
            _system_config={"worker_niceness": WORKER_NICENESS},
            runtime_env={"env_vars": WORKER_ALLOCATOR_ENV},
        )
    )
    try:
        put, model_ref = timed(lambda: ray.put(model))
        warm_up, _ = timed(lambda: _fan_out(model_ref, arguments.iterations, 0))
        lines.append(
            f"{workers} Ray worker(s): ray.init {started:.1f} s, ray.put {put:.2f} s, "
            f"warm-up {warm_up:.2f} s"
        )
        runs = [arguments.iterations] + ([arguments.large] if large else [])
        for iterations in runs:
            repeats = arguments.repeat if iterations == arguments.iterations else 1
            for attempt in range(1, repeats + 1):
                # A new reference per run, so every worker reads the model as for a new job.
                run = partial(_fan_out, ray.put(model), iterations, arguments.seed)
                seconds, (result, tasks) = timed(run)
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                lines.append(
                    f"{iterations:,} iterations, {workers} worker(s), run {attempt}: "
                    f"{seconds:.3f} s wall ({iterations / seconds:,.0f} iterations/s) in "
                    f"{tasks} tasks; driver peak RSS {peak:.0f} MiB"
                )
            lines.append(f"  {_describe(result)}")
    finally:
        ray.shutdown()
    return lines


def _describe(result: SimulationResult) -> str:
    finish = result.finish
    dates = ", ".join(f"P{p.confidence * 100:g} {_day(p.date)}" for p in finish.percentiles)
    drivers = ", ".join(f"{d.code} {d.coefficient:+.2f}" for d in result.sensitivity.finish[:3])
    return (
        f"deterministic {_day(finish.deterministic_date)}; {dates}; "
        f"mean {finish.mean_hours:,.0f} h, sd {finish.standard_deviation_hours:,.0f} h; "
        f"cost P80 {result.cost.percentiles[1].cost:,.0f}; top finish drivers {drivers}"
    )


def _day(moment: datetime | None) -> str:
    return "-" if moment is None else moment.date().isoformat()


def _converted(project: Project) -> tuple[list[dict[str, Any]], Project]:
    """Return the network as pmcontrols records and as an equivalent plain project."""
    network = build_network(project)
    remaining = np.where(network.plan.scheduled, network.remaining_hours, 0.0)
    predecessors: list[set[str]] = [set() for _ in network.activity_ids]
    for pred, succ in zip(network.link_predecessors, network.link_successors, strict=True):
        predecessors[succ].add(network.activity_ids[pred])
    records = [
        {
            "id": activity_id,
            "predecessors": sorted(before),
            "a": 0.9 * hours,
            "m": hours,
            "b": 1.2 * hours,
        }
        for activity_id, before, hours in zip(
            network.activity_ids, predecessors, remaining.tolist(), strict=True
        )
    ]
    plain = Project(
        source_id="converted",
        name=f"{project.name} as FS+0 hours",
        currency=project.currency,
        data_date=project.data_date,
        source_format="json",
        activities=tuple(_plain_activity(record) for record in records),
        relationships=tuple(
            Relationship(pred, str(record["id"]))
            for record in records
            for pred in record["predecessors"]
        ),
    )
    return records, plain


def _plain_activity(record: dict[str, Any]) -> Activity:
    estimate = ThreePointEstimate(record["a"], record["m"], record["b"], Distribution.PERT)
    return Activity(
        id=str(record["id"]),
        code=str(record["id"]),
        name=str(record["id"]),
        type=ActivityType.TASK,
        status=ActivityStatus.NOT_STARTED,
        original_duration_hours=float(record["m"]),
        remaining_duration_hours=float(record["m"]),
        duration_estimate=estimate if record["b"] > record["a"] else None,
    )


def _comparison(project: Project, iterations: int, seed: int, repeats: int) -> list[str]:
    records, plain = _converted(project)
    lines = []
    for attempt in range(1, repeats + 1):
        cpu_before = time.process_time()
        seconds, reference = timed(lambda: pmcontrols.pert(records, n_sim=iterations, seed=seed))
        reference_cpu = time.process_time() - cpu_before
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        lines.append(
            f"pmcontrols {pmcontrols.__version__} pert, converted network "
            f"({len(records):,} activities), {iterations:,} iterations, one process, "
            f"run {attempt}: {seconds:.2f} s wall, {reference_cpu:.2f} s CPU; "
            f"driver peak RSS so far {peak:.0f} MiB"
        )
    stats = reference.stats
    cpu_before = time.process_time()
    ours_seconds, ours = timed(
        lambda: simulate(
            plain,
            iterations=iterations,
            seed=seed,
            schedule_uncertainty=0,
            budget_uncertainty=0,
            confidence_levels=(0.5, 0.8, 0.95),
        )
    )
    ours_cpu = time.process_time() - cpu_before
    percentiles = [p.offset_hours for p in ours.finish.percentiles]
    return [
        *lines,
        f"  pmcontrols: mean {stats['mc_mean']:,.1f} h, P50 {stats['mc_p50']:,.1f} h, "
        f"P80 {stats['mc_p80']:,.1f} h, P95 {stats['mc_p95']:,.1f} h",
        f"this engine, same converted network, one process: {ours_seconds:.2f} s wall, "
        f"{ours_cpu:.2f} s CPU",
        f"  this engine: mean {ours.finish.mean_hours:,.1f} h, P50 {percentiles[0]:,.1f} h, "
        f"P80 {percentiles[1]:,.1f} h, P95 {percentiles[2]:,.1f} h "
        f"(resolution {ours.finish.resolution_hours:.2f} h)",
    ]


def _profile(model: SimulationModel, arguments: argparse.Namespace) -> None:
    """Run the iterations in this process under cProfile and print where the time went."""
    chunks = plan_chunks(arguments.seed, arguments.iterations, BLOCK_ITERATIONS)
    run_chunk(model, chunks[0].seed, chunks[0].size)
    profiler = cProfile.Profile()
    started = time.process_time()
    profiler.enable()
    for chunk in chunks:
        run_chunk(model, chunk.seed, chunk.size)
    profiler.disable()
    print(f"{arguments.iterations:,} iterations in one process: "
          f"{time.process_time() - started:.2f} s CPU under cProfile")  # fmt: skip
    pstats.Stats(profiler).sort_stats("tottime").print_stats(arguments.profile)


def main() -> None:
    arguments = _arguments()
    project, _ = read_xer(arguments.schedule.read_bytes())
    print(f"machine: {machine()}; load average before {os.getloadavg()[0]:.1f}")
    build, model = timed(
        lambda: build_model(project, schedule_uncertainty=0.2, budget_uncertainty=0.1)
    )
    network = model.network
    print(
        f"schedule: {project.name}, {network.size:,} network activities, "
        f"{network.link_successors.size:,} links; build_model {build:.2f} s"
    )
    if arguments.profile:
        _profile(model, arguments)
        return
    lines = _ray_runs(model, 1, arguments, large=False)
    lines += _ray_runs(model, 2, arguments, large=arguments.large > 0)
    lines += _comparison(project, arguments.iterations, arguments.seed, arguments.repeat)
    for line in lines:
        print(line)
    print(f"load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
