"""The upgrade's permission check survives an actor that unloads while it is asked."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from ray.exceptions import RayActorError

from deployments import websocket
from deployments.auth import Principal, Role
from deployments.errors import ServiceUnavailableError


class _Method:
    def __init__(self, outcome: Any) -> None:
        self._outcome = outcome

    def remote(self, *args: Any) -> Any:
        async def call() -> Any:
            if isinstance(self._outcome, BaseException):
                raise self._outcome
            return self._outcome

        return call()


def _services(outcomes: list[Any]) -> tuple[Any, list[Any]]:
    """Return services whose hub hands out one actor per outcome, in order.

    Each actor handed out records whether the caller asked for a fresh lookup.
    """
    handed: list[Any] = []

    def actor_for(report_id: uuid.UUID, *, fresh: bool = False) -> Any:
        actor = SimpleNamespace(permission_for=_Method(outcomes[len(handed)]), fresh=fresh)
        handed.append(actor)
        return actor

    return SimpleNamespace(hub=SimpleNamespace(actor_for=actor_for)), handed


@pytest.fixture(autouse=True)
def _no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(websocket, "_RETRY_SECONDS", 0.0)


async def test_permission_retries_dead_actor() -> None:
    services, handed = _services([RayActorError(), "edit"])
    principal = Principal(email="ann@example.com", role=Role.EDITOR)

    permission = await websocket._permission(services, uuid.uuid4(), principal)

    assert permission == "edit"
    # The first lookup may use the open room's actor; the retry must not trust it again.
    assert [actor.fresh for actor in handed] == [False, True]


async def test_permission_gives_up_after_attempts() -> None:
    services, handed = _services([RayActorError()] * websocket._CONNECT_ATTEMPTS)
    principal = Principal(email="ann@example.com", role=Role.EDITOR)

    with pytest.raises(ServiceUnavailableError):
        await websocket._permission(services, uuid.uuid4(), principal)
    assert len(handed) == websocket._CONNECT_ATTEMPTS
