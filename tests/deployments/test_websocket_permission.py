"""The upgrade's permission check survives an actor that unloads while it is asked."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from ray.exceptions import RayActorError

from actors.errors import ReportUnloadingError
from actors.stream import RequestFailedError, StreamError
from config import Settings
from deployments import websocket
from deployments.auth import Principal, Role
from deployments.errors import ServiceUnavailableError
from deployments.hub import ReportHub


class _Room:
    """A room whose actor returns one outcome for every permission request."""

    def __init__(self, outcome: Any) -> None:
        self._outcome = outcome

    async def permission_for(self, user: str, role_permission: str, is_admin: bool) -> Any:
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome


class _Hub:
    """Opens one room per outcome, in order; an exception outcome fails the opening itself."""

    def __init__(self, openings: list[Any]) -> None:
        self._openings = openings
        self.opened = 0

    async def open(self, report_id: uuid.UUID) -> _Room:
        outcome = self._openings[self.opened]
        self.opened += 1
        if isinstance(outcome, RayActorError | ReportUnloadingError):
            raise outcome
        return _Room(outcome)

    def forget(self, room: _Room) -> None:
        pass

    async def release(self, room: _Room) -> None:
        pass


ANN = Principal(email="ann@example.com", role=Role.EDITOR)


@pytest.fixture(autouse=True)
def _no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(websocket, "_RETRY_SECONDS", 0.0)


@pytest.mark.parametrize(
    "failure",
    [
        RayActorError(),
        ReportUnloadingError("report"),
        StreamError("the stream closed"),
        RequestFailedError("the report actor failed: ReportUnloadingError: x", unloading=True),
    ],
    ids=["actor died", "actor unloading", "stream ended", "unloading over the stream"],
)
async def test_permission_retries_with_new_room(failure: Exception) -> None:
    hub = _Hub([failure, "edit"])

    _, permission = await websocket._open_room(SimpleNamespace(hub=hub), uuid.uuid4(), ANN)  # type: ignore[arg-type]

    assert permission == "edit"
    assert hub.opened == 2


async def test_permission_gives_up_after_attempts() -> None:
    hub = _Hub([RayActorError()] * websocket._CONNECT_ATTEMPTS)

    with pytest.raises(ServiceUnavailableError):
        await websocket._open_room(SimpleNamespace(hub=hub), uuid.uuid4(), ANN)  # type: ignore[arg-type]
    assert hub.opened == websocket._CONNECT_ATTEMPTS


async def test_refusal_is_not_retried() -> None:
    hub = _Hub([None, "edit"])

    _, permission = await websocket._open_room(SimpleNamespace(hub=hub), uuid.uuid4(), ANN)  # type: ignore[arg-type]

    assert permission is None
    assert hub.opened == 1


async def test_failed_permission_request_is_not_retried() -> None:
    failure = RequestFailedError(
        "the report actor failed: ValueError: 'owner' is not a permission", unloading=False
    )
    hub = _Hub([failure, "edit"])

    with pytest.raises(ServiceUnavailableError, match="could not be loaded"):
        await websocket._open_room(SimpleNamespace(hub=hub), uuid.uuid4(), ANN)  # type: ignore[arg-type]
    assert hub.opened == 1


class _StreamRoom:
    """An open room whose actor returns ``outcome`` to a permission request."""

    def __init__(self, report_id: uuid.UUID, outcome: Any) -> None:
        self.report_id = report_id
        self.peers: dict[str, Any] = {}
        self.outcome = outcome
        self.closed = False

    async def permission_for(self, user: str, role_permission: str, is_admin: bool) -> Any:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome

    async def close(self) -> None:
        self.closed = True


class _StreamHub(ReportHub):
    """A real hub whose rooms, opened in turn with the given outcomes, need no actor."""

    def __init__(self, outcomes: list[Any]) -> None:
        super().__init__(Settings())
        self._outcomes = outcomes
        self.rooms: list[_StreamRoom] = []

    async def _open(self, report_id: uuid.UUID) -> Any:
        opened = self._rooms.get(report_id)
        if opened is not None:
            return opened
        room = _StreamRoom(report_id, self._outcomes[len(self.rooms)])
        self.rooms.append(room)
        self._rooms[report_id] = room  # type: ignore[assignment]
        return room


async def test_failed_permission_request_releases_empty_room() -> None:
    failure = RequestFailedError(
        "the report actor failed: ValueError: 'owner' is not a permission", unloading=False
    )
    hub = _StreamHub([failure])
    report_id = uuid.uuid4()

    with pytest.raises(ServiceUnavailableError):
        await websocket._open_room(SimpleNamespace(hub=hub), report_id, ANN)  # type: ignore[arg-type]

    assert hub.room_of(report_id) is None
    assert hub.rooms[0].closed


async def test_failed_permission_request_keeps_used_room() -> None:
    failure = RequestFailedError(
        "the report actor failed: ValueError: 'owner' is not a permission", unloading=False
    )
    hub = _StreamHub([failure])
    report_id = uuid.uuid4()
    room: Any = await hub.open(report_id)
    room.peers["other socket"] = object()

    with pytest.raises(ServiceUnavailableError):
        await websocket._open_room(SimpleNamespace(hub=hub), report_id, ANN)  # type: ignore[arg-type]

    assert hub.room_of(report_id) is room
    assert not hub.rooms[0].closed
