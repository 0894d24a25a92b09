"""The Ray actor that hosts a report actor, or waits as a spare until a report needs it.

Starting a Ray actor costs a new worker process and its imports: 1.3 s on the benchmark
machine of docs/benchmarks.md. A spare has paid that in advance. It starts, imports the
report actor's code, lists itself in the directory (actors/directory.py) and waits.
Opening a report then claims a spare, records it as the report's actor and loads the
document into it, which takes tens of milliseconds.

The report's methods are the ReportActor's. The first call, whichever caller makes it,
loads the report that the directory assigns to this actor. A host that Ray restarts after
a crash finds its assignment there and reloads.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import os
import uuid
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import ray

from actors import directory
from actors.errors import ReportLoadError
from actors.report_actor import ReportActor
from config import Settings
from config.logs import configure_logging

logger = logging.getLogger(__name__)

# Lets the callers waiting on a failed load receive its error before the process ends.
_FAILED_EXIT_SECONDS = 0.5


class ReportHost:
    """A report actor's process: the loaded ReportActor, or a spare waiting for a report."""

    def __init__(self, settings: Settings) -> None:
        configure_logging(settings)
        self._settings = settings
        self._name = ray.get_runtime_context().get_actor_name() or ""
        self._report: ReportActor | None = None
        self._failure: str | None = None
        assigned = directory.assignment(settings, self._name)
        if assigned is None:
            _freeze_long_lived()
            directory.offer_spare(settings, self._name)
            logger.info("spare report actor %s is ready", self._name)
            return
        # A failed load raises here, so Ray reports the actor as failed and keeps nothing.
        self._load(assigned)
        gc.freeze()

    async def process_id(self) -> int:
        return os.getpid()

    async def assign(self) -> None:
        """Load the report the directory assigns to this actor, if not loaded yet."""
        self._loaded_report()

    def _loaded_report(self) -> ReportActor:
        if self._report is not None:
            return self._report
        if self._failure is not None:
            raise ReportLoadError(self._failure)
        assigned = directory.assignment(self._settings, self._name)
        if assigned is None:
            raise ReportLoadError(f"actor {self._name} serves no report yet")
        try:
            report = self._load(assigned)
        except Exception as error:
            self._failure = f"report {assigned} could not be loaded: {error}"
            logger.error("%s; ending actor %s", self._failure, self._name)
            asyncio.get_running_loop().call_later(_FAILED_EXIT_SECONDS, self._exit)
            raise ReportLoadError(self._failure) from error
        report.start_housekeeping()
        # No collection here: it would add tens of milliseconds to opening the report.
        gc.freeze()
        return report

    def _load(self, report_id: uuid.UUID) -> ReportActor:
        release = partial(directory.release, self._settings, report_id, self._name)
        try:
            self._report = ReportActor(str(report_id), self._settings, release=release)
        except Exception:
            release()
            raise
        return self._report

    def _exit(self) -> None:
        ray.kill(ray.get_runtime_context().current_actor, no_restart=True)


def _freeze_long_lived() -> None:
    """Leave the objects alive now, imports and the loaded report, out of full collections.

    A report actor's process contains about 150,000 such objects. Walking them took 76 to
    88 ms in a traced run of the fan-out benchmark, long enough to stall every edit of
    the report in flight. Frozen objects are still freed when their last reference goes.
    """
    gc.collect()
    gc.freeze()


def _delegate(name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    """Return a method that calls the loaded ReportActor's coroutine method ``name``."""

    async def call(self: ReportHost, *args: Any, **kwargs: Any) -> Any:
        return await getattr(self._loaded_report(), name)(*args, **kwargs)

    call.__name__ = name
    call.__qualname__ = f"ReportHost.{name}"
    call.__doc__ = getattr(ReportActor, name).__doc__
    return call


REPORT_METHODS = tuple(
    name
    for name, member in vars(ReportActor).items()
    if not name.startswith("_")
    and inspect.iscoroutinefunction(member)
    and not hasattr(ReportHost, name)
)
for _name in REPORT_METHODS:
    setattr(ReportHost, _name, _delegate(_name))

RemoteReportHost = ray.remote(num_cpus=0, max_restarts=-1)(ReportHost)
