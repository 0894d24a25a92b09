"""The directory of report actors in Ray's GCS: who serves each report, and the spares.

Report actors have generated names. Ray's internal key-value store in the GCS records:

- ``report:<report id>``: the name of the actor that serves the report. It is written only
  if absent, so one actor serves a report cluster-wide, and removed by that actor when it
  unloads.
- ``assigned:<actor name>``: the report an actor serves, which it reads again when Ray
  restarts it after a crash or the loss of its node.
- ``spare:<settings key>:<actor name>``: an idle actor that has done its imports and waits
  for a report. Deleting the key claims the spare, and the GCS lets only one caller delete
  it. The settings key keeps a spare started with one database from serving another.

Keys live in a namespace of their own per Ray namespace.
"""

from __future__ import annotations

import hashlib
import logging
import uuid

from ray.experimental import internal_kv

from config import Settings

logger = logging.getLogger(__name__)

_REPORT = "report:"
_ASSIGNED = "assigned:"
_SPARE = "spare:"
_POOL_STARTED = "pool-started:"


def _namespace(settings: Settings) -> str:
    # Ray separates a namespace from its keys with ":", so the namespace must not contain one.
    return f"{settings.ray_namespace.replace(':', '-')}-report-actors"


def _names(settings: Settings, prefix: str) -> list[str]:
    """Return what follows ``prefix`` in the keys that start with it."""
    keys = internal_kv._internal_kv_list(prefix, namespace=_namespace(settings))
    return [key.decode().split(prefix, 1)[1] for key in keys]


def settings_key(settings: Settings) -> str:
    """Return a short digest of the settings, equal for actors that may share spares."""
    return hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:16]


def new_actor_name() -> str:
    return f"report-actor:{uuid.uuid4().hex}"


def serving(settings: Settings, report_id: uuid.UUID) -> str | None:
    """Return the name of the actor that serves the report, if one does."""
    value = internal_kv._internal_kv_get(f"{_REPORT}{report_id}", namespace=_namespace(settings))
    return value.decode() if value else None


def publish(settings: Settings, report_id: uuid.UUID, actor_name: str) -> bool:
    """Record ``actor_name`` as the report's actor unless one is recorded; return if it is."""
    namespace = _namespace(settings)
    internal_kv._internal_kv_put(f"{_ASSIGNED}{actor_name}", str(report_id), namespace=namespace)
    existed = internal_kv._internal_kv_put(
        f"{_REPORT}{report_id}", actor_name, overwrite=False, namespace=namespace
    )
    if existed:
        internal_kv._internal_kv_del(f"{_ASSIGNED}{actor_name}", namespace=namespace)
    return not existed


def assignment(settings: Settings, actor_name: str) -> uuid.UUID | None:
    """Return the report assigned to ``actor_name``, if any."""
    value = internal_kv._internal_kv_get(
        f"{_ASSIGNED}{actor_name}", namespace=_namespace(settings)
    )
    return uuid.UUID(value.decode()) if value else None


def release(settings: Settings, report_id: uuid.UUID, actor_name: str) -> None:
    """Remove the actor's assignment and, if it still names this actor, the report's entry."""
    namespace = _namespace(settings)
    if serving(settings, report_id) == actor_name:
        internal_kv._internal_kv_del(f"{_REPORT}{report_id}", namespace=namespace)
    internal_kv._internal_kv_del(f"{_ASSIGNED}{actor_name}", namespace=namespace)


def offer_spare(settings: Settings, actor_name: str) -> None:
    """List an idle actor as a spare for reports of these settings."""
    key = f"{_SPARE}{settings_key(settings)}:{actor_name}"
    internal_kv._internal_kv_put(key, b"", namespace=_namespace(settings))


def claim_spare(settings: Settings) -> str | None:
    """Take one spare for these settings out of the list; return its name, or None."""
    namespace = _namespace(settings)
    prefix = f"{_SPARE}{settings_key(settings)}:"
    for name in _names(settings, prefix):
        if internal_kv._internal_kv_del(f"{prefix}{name}", namespace=namespace) == 1:
            return name
    return None


def spares(settings: Settings) -> list[str]:
    """Return the names of the spares listed for these settings."""
    return _names(settings, f"{_SPARE}{settings_key(settings)}:")


def start_pool_once(settings: Settings) -> bool:
    """Return True for the first caller with these settings, so that one caller fills the pool."""
    existed = internal_kv._internal_kv_put(
        f"{_POOL_STARTED}{settings_key(settings)}", b"1", overwrite=False,
        namespace=_namespace(settings),
    )  # fmt: skip
    return not existed


def forget_pool(settings: Settings) -> None:
    """Forget that the pool of these settings was filled, so the next caller fills it again."""
    internal_kv._internal_kv_del(
        f"{_POOL_STARTED}{settings_key(settings)}", namespace=_namespace(settings)
    )
