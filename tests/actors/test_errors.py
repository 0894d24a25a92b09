from __future__ import annotations

import pytest
import ray

from actors.errors import describe, root_cause
from risk_analysis import NetworkError

pytestmark = pytest.mark.usefixtures("ray_cluster")


@ray.remote(num_cpus=0)
def fail_with_cycle() -> None:
    raise NetworkError("the schedule logic contains a cycle: A -> B -> A", ("A", "B"))


@ray.remote(num_cpus=0)
def call_failing_task() -> None:
    ray.get(fail_with_cycle.remote())


def test_describe_gives_remote_error_as_one_plain_line() -> None:
    with pytest.raises(NetworkError) as caught:
        ray.get(call_failing_task.remote())

    text = describe(caught.value)

    assert isinstance(root_cause(caught.value), NetworkError)
    assert text.startswith("NetworkError: the schedule logic contains a cycle: A -> B -> A")
    assert "\x1b[" not in text
    assert "ray::" not in text
    assert "\n" not in text


def test_describe_keeps_local_error_text() -> None:
    assert describe(ValueError("bad month")) == "ValueError: bad month"
