"""Spare report actors: started ahead, claimed by a cold open, replaced, never shared."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import ray
from ray.exceptions import RayActorError, RayTaskError

from actors import directory
from actors.registry import (
    fill_pool,
    report_actor_handle,
    running_report_actor,
    stop_report_actor,
    stop_spares,
)
from config import Settings

pytestmark = pytest.mark.usefixtures("ray_cluster")


@pytest.fixture
def spare_settings(session_settings: Settings) -> Iterator[Settings]:
    """Settings with one spare, whose pool is emptied again after the test."""
    settings = session_settings.model_copy(update={"actor_spares": 1})
    yield settings
    stop_spares(settings)


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {timeout} s"
        time.sleep(0.05)


def listed_spare(settings: Settings) -> str:
    wait_for(lambda: len(directory.spares(settings)) == 1)
    return directory.spares(settings)[0]


def pid_of(name: str, settings: Settings) -> int:
    handle: Any = ray.get_actor(name, namespace=settings.ray_namespace)
    pid: int = ray.get(handle.process_id.remote())
    return pid


def test_cold_open_takes_the_spare(spare_settings: Settings, new_report_id: uuid.UUID) -> None:
    fill_pool(spare_settings)
    spare = listed_spare(spare_settings)
    spare_pid = pid_of(spare, spare_settings)

    handle = report_actor_handle(new_report_id, spare_settings)
    document = ray.get(handle.read.remote())

    assert ray.get(handle.process_id.remote()) == spare_pid
    assert directory.serving(spare_settings, new_report_id) == spare
    assert "sections" in document
    replacement = listed_spare(spare_settings)
    assert replacement != spare
    assert stop_report_actor(new_report_id, spare_settings)
    assert directory.serving(spare_settings, new_report_id) is None


def test_spare_for_unknown_report_is_not_kept(spare_settings: Settings) -> None:
    fill_pool(spare_settings)
    spare = listed_spare(spare_settings)
    missing = uuid.uuid4()

    handle = report_actor_handle(missing, spare_settings)

    with pytest.raises((RayTaskError, RayActorError), match=r"could not be loaded|died"):
        ray.get(handle.read.remote())
    assert directory.serving(spare_settings, missing) is None
    assert running_report_actor(missing, spare_settings) is None

    def spare_ended() -> bool:
        try:
            ray.get_actor(spare, namespace=spare_settings.ray_namespace)
        except ValueError:
            return True
        return False

    wait_for(spare_ended)


def test_concurrent_opens_share_the_spare(
    spare_settings: Settings, new_report_id: uuid.UUID
) -> None:
    fill_pool(spare_settings)
    listed_spare(spare_settings)

    @ray.remote(num_cpus=0)
    def open_report(report_id: uuid.UUID, settings: Settings) -> int:
        pid: int = ray.get(report_actor_handle(report_id, settings).process_id.remote())
        return pid

    pids = ray.get([open_report.remote(new_report_id, spare_settings) for _ in range(6)])
    serving = directory.serving(spare_settings, new_report_id)

    assert len(set(pids)) == 1
    # The directory names the actor every open reached. Which spare that is can vary: a
    # replacement started by an earlier test may be listed by the time the opens claim one.
    assert serving is not None
    assert pid_of(serving, spare_settings) == pids[0]
    assert stop_report_actor(new_report_id, spare_settings)


def test_restarted_spare_reloads_its_report(
    spare_settings: Settings, new_report_id: uuid.UUID
) -> None:
    fill_pool(spare_settings)
    listed_spare(spare_settings)
    handle = report_actor_handle(new_report_id, spare_settings)
    ray.get(
        handle.write_generated.remote(
            {
                "sections": [
                    {"section_id": "summary", "title": "Summary", "body": "Kept.", "order": 0}
                ]
            }
        )
    )
    first_pid = ray.get(handle.process_id.remote())

    ray.kill(handle, no_restart=False)
    wait_for(lambda: _pid_or_none(handle) not in (None, first_pid))
    document = ray.get(handle.read.remote())

    assert document["sections"][0]["body"] == "Kept."
    assert directory.serving(spare_settings, new_report_id) is not None
    assert stop_report_actor(new_report_id, spare_settings)


def _pid_or_none(handle: Any) -> int | None:
    try:
        pid: int = ray.get(handle.process_id.remote(), timeout=5)
    except (RayActorError, RayTaskError, ray.exceptions.GetTimeoutError):
        return None
    return pid
