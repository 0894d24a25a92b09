"""Monte Carlo iterations fanned out as Ray tasks.

Iterations are cut into blocks of ``BLOCK_ITERATIONS``, each drawing from its own child of
one ``numpy.random.SeedSequence``; a task runs a group of blocks and returns their combined
aggregate. Because the blocks and their seeds depend only on the seed and the iteration
count, the result is the same however the blocks are grouped into tasks and however many
workers run them. Tasks return histogram counts and sums, never samples, so memory stays
bounded at a million iterations.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import ray

from risk_analysis import (
    ChunkAggregate,
    ChunkSpec,
    SimulationModel,
    SimulationResult,
    combine,
    merge,
    plan_chunks,
    prepare_kernels,
    run_chunk,
)

logger = logging.getLogger(__name__)

# The seeding unit: 500 iterations of the sp10 network take about 0.02 s.
BLOCK_ITERATIONS = 500
# Upper bound on tasks per simulation, so scheduling overhead stays small.
MAX_TASKS = 64
# Blocks a task takes at least before a simulation uses more tasks than workers: below this a
# task's start (about 2 ms) and its first read of the model (about 10 ms on sp10) weigh.
MIN_TASK_BLOCKS = 20

# Called after each finished task with (iterations done, iterations in all); it raises to
# stop the simulation, for example when the job was cancelled.
Progress = Callable[[int, int], None]

# The model of the latest simulation in this worker process, by its object reference.
# NOTE: the cached model keeps its arrays (about 26 MB for sp10) in this worker's memory and
# the object store until the worker runs a simulation of another model or ends.
_worker_models: dict[str, SimulationModel] = {}
_worker_models_lock = threading.Lock()


def _worker_model(reference: ray.ObjectRef[SimulationModel]) -> SimulationModel:
    """Return the model behind ``reference``, read from the object store once per worker."""
    key = reference.hex()
    with _worker_models_lock:
        model = _worker_models.get(key)
    if model is None:
        model = ray.get(reference)
        with _worker_models_lock:
            _worker_models.clear()
            _worker_models[key] = model
    return model


_frozen = False


def _freeze_long_lived() -> None:
    """Leave the objects alive after this worker's first simulation task out of full GCs.

    A worker that has imported Ray, numpy and Numba and loaded the compiled kernels has
    about 100,000 objects that live as long as the process. A full collection walked them
    for 75 ms in one process and stalled both sp10 workers for about 180 ms mid-run. With
    them frozen it takes under a millisecond. Models loaded later stay collectable, and
    frozen objects are still freed when their last reference goes.
    """
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True


@ray.remote(num_cpus=1)
def _blocks_task(
    model_box: list[ray.ObjectRef[SimulationModel]], blocks: Sequence[ChunkSpec]
) -> ChunkAggregate:
    # The reference comes in a list so that Ray passes it unresolved and each worker reads
    # the model once, not once per task.
    model = _worker_model(model_box[0])
    aggregate = combine([run_chunk(model, block.seed, block.size) for block in blocks])
    _freeze_long_lived()
    return aggregate


@ray.remote(num_cpus=1)
def _prepare_kernels_task() -> float:
    seconds = prepare_kernels()
    _freeze_long_lived()
    return seconds


def prepare_simulation_kernels() -> None:
    """Have a worker compile the simulation kernels (or load them) without waiting for it.

    Started with the server, so that the first simulation does not pay the compilation.
    """
    _prepare_kernels_task.remote()


def task_count(blocks: int, workers: int) -> int:
    """Return how many tasks share ``blocks``: one per worker unless each would get many."""
    return max(1, min(blocks, MAX_TASKS, max(workers, blocks // MIN_TASK_BLOCKS)))


def group_blocks(blocks: Sequence[ChunkSpec], max_tasks: int = MAX_TASKS) -> list[list[ChunkSpec]]:
    """Split blocks into at most ``max_tasks`` consecutive groups of near-equal size."""
    per_task = max(1, math.ceil(len(blocks) / max_tasks))
    return [list(blocks[start : start + per_task]) for start in range(0, len(blocks), per_task)]


def simulate_on_ray(
    model_ref: Any,
    *,
    seed: int,
    iterations: int,
    confidence_levels: Sequence[float],
    progress: Progress | None = None,
) -> SimulationResult:
    """Run the iterations as Ray tasks and merge their aggregates.

    Raises whatever ``progress`` raises, after cancelling the tasks still running.
    """
    blocks = plan_chunks(seed, iterations, BLOCK_ITERATIONS)
    workers = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
    groups = group_blocks(blocks, task_count(len(blocks), workers))
    pending = {
        _blocks_task.remote([model_ref], group): sum(b.size for b in group) for group in groups
    }
    aggregates: list[ChunkAggregate] = []
    done_iterations = 0
    try:
        # Read while the tasks run; merging needs the model's labels and histogram edges.
        model: SimulationModel = ray.get(model_ref)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            done_iterations += pending.pop(ready[0])
            aggregates.append(ray.get(ready[0]))
            if progress is not None:
                progress(done_iterations, iterations)
    except BaseException:
        for reference in pending:
            ray.cancel(reference, force=False)
        raise
    return merge(model, aggregates, confidence_levels=confidence_levels)
