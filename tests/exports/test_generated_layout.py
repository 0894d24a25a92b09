"""A generated report passes the layout check that Yjs updates of its blocks must pass."""

from __future__ import annotations

from typing import Any

from crdt.analysis_layout import block_problem
from exports import ProjectData

Sample = tuple[dict[str, Any], ProjectData]


def test_generated_blocks_pass_layout_check(sample: Sample) -> None:
    report, _ = sample

    assert block_problem("metrics", report["metrics"]) is None
    assert block_problem("monte_carlo", {"analysis": report["monte_carlo"]}) is None
