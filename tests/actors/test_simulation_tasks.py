"""How a simulation's blocks are shared out among Ray tasks."""

from __future__ import annotations

import pytest

from actors.simulation_tasks import MAX_TASKS, MIN_TASK_BLOCKS, group_blocks, task_count
from risk_analysis import plan_chunks


@pytest.mark.parametrize(
    ("blocks", "workers", "tasks"),
    [
        (20, 2, 2),
        (20, 8, 8),
        (3, 8, 3),
        (1, 2, 1),
        (10 * MIN_TASK_BLOCKS, 2, 10),
        (2000, 2, MAX_TASKS),
        (2000, 200, MAX_TASKS),
    ],
    ids=[
        "short-run-one-per-worker",
        "more-workers",
        "fewer-blocks-than-workers",
        "one-block",
        "long-run-more-tasks",
        "million-capped",
        "many-workers-capped",
    ],
)
def test_task_count(blocks: int, workers: int, tasks: int) -> None:
    assert task_count(blocks, workers) == tasks


def test_groups_cover_every_block_once_in_order() -> None:
    blocks = plan_chunks(1, 10_000, 500)

    groups = group_blocks(blocks, task_count(len(blocks), 2))

    assert len(groups) == 2
    assert [block for group in groups for block in group] == list(blocks)
