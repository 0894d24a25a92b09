"""Joining or starting the Ray cluster that hosts report actors and tasks."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import ray

from config import Settings

logger = logging.getLogger(__name__)

# A local instance needs little shared memory: simulation chunks return aggregates only.
_LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024
# Ray starts workers at niceness 15 by default, which puts report actors and Serve replicas,
# whose latency users feel, behind every other process on the machine.
WORKER_NICENESS = 0
# glibc serves blocks of 128 KiB and more with mmap at first, and gives heap memory above
# its trim threshold back to the system. So the first blocks of each simulation task
# faulted in fresh pages for their 8 MiB arrays and ran about 40 % slower on sp10. Workers
# take blocks below 32 MiB from the heap and keep up to 256 MiB of it when freed.
WORKER_ALLOCATOR_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(256 * 1024 * 1024),
}


def connect(settings: Settings, *, env_vars: Mapping[str, str] | None = None) -> None:
    """Connect this process to Ray: the cluster at ``settings.ray_address``, else a local one.

    ``env_vars`` reach every worker through the job's runtime environment, after the
    allocator settings.
    """
    if ray.is_initialized():
        return
    runtime_env = {"env_vars": {**WORKER_ALLOCATOR_ENV, **(env_vars or {})}}
    if settings.ray_address:
        ray.init(
            address=settings.ray_address,
            namespace=settings.ray_namespace,
            runtime_env=runtime_env,
            log_to_driver=False,
        )
        logger.info("joined the Ray cluster at %s", settings.ray_address)
        return
    ray.init(
        namespace=settings.ray_namespace,
        num_cpus=settings.ray_num_cpus,
        include_dashboard=False,
        object_store_memory=_LOCAL_OBJECT_STORE_BYTES,
        runtime_env=runtime_env,
        log_to_driver=False,
        _system_config={"worker_niceness": WORKER_NICENESS},
    )
    logger.info("started a local Ray instance")
