"""The collaboration WebSocket: y-websocket binary frames or JSON events, per connection.

``/ws/reports/pmr/{report_id}/collaborate`` is the y-websocket room URL
``ws://HOST/ws/reports/pmr`` + ``/{report_id}/collaborate``. A connection speaks the Yjs
protocol unless it asks for ``?format=json``. The bearer token comes as ``?token=`` or as
an offered Sec-WebSocket-Protocol value, because browsers cannot set headers. Refusals
happen on the upgrade (401, 403, 404, 409, 503), so clients do not retry them forever.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from ray.exceptions import RayActorError, RayTaskError

from actors.connections import (
    CLOSE_INTERNAL_ERROR,
    CLOSE_MALFORMED,
    CLOSE_SERVICE_RESTART,
    CLOSE_TOO_BIG,
)
from actors.errors import ReportUnloadingError
from actors.outbox import Close, FrameKind
from actors.stream import RequestFailedError, StreamError
from deployments.access import ROLE_PERMISSION
from deployments.auth import Principal, Role
from deployments.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServiceUnavailableError,
    UpgradeRequiredError,
)
from deployments.hub import Peer, Room
from deployments.problems import PROBLEM_JSON
from deployments.services import Services
from storage import NotFound, StorageError

logger = logging.getLogger(__name__)

router = APIRouter()

_CONNECT_ATTEMPTS = 5
_RETRY_SECONDS = 0.2


def _offered_token(websocket: WebSocket) -> tuple[str | None, str | None]:
    """Return the token and the subprotocol to echo, from the query or the subprotocols."""
    token = websocket.query_params.get("token")
    offered = [
        part.strip()
        for part in websocket.headers.get("sec-websocket-protocol", "").split(",")
        if part.strip()
    ]
    if token:
        return token, offered[0] if offered else None
    jwt_like = [value for value in offered if value.count(".") == 2]
    if not jwt_like:
        return None, offered[0] if offered else None
    others = [value for value in offered if value not in jwt_like]
    return jwt_like[0], others[0] if others else jwt_like[0]


async def _deny(websocket: WebSocket, error: ApiError) -> None:
    await websocket.send_denial_response(
        JSONResponse(
            error.problem(instance=websocket.url.path),
            status_code=error.status,
            media_type=PROBLEM_JSON,
        )
    )


async def _admit(
    websocket: WebSocket, services: Services, report_id: uuid.UUID
) -> tuple[Principal, str]:
    """Authenticate and authorise the upgrade; return the caller and their permission."""
    token, _ = _offered_token(websocket)
    if not token:
        raise AuthenticationError(
            "missing bearer token: pass ?token=<token> or offer it as a WebSocket subprotocol",
            code="missing_token",
        )
    principal = services.tokens.verify(token)
    # A room opens only for a completed report, and a completed report stays completed, so
    # while this replica has the report's room open the database need not be asked again.
    if services.hub.room_of(report_id) is None:
        try:
            record = await asyncio.to_thread(services.reports.get, report_id)
        except NotFound as error:
            raise NotFoundError(str(error), code="not_found") from error
        if record.status != "completed":
            raise ConflictError(
                f"report {report_id} is {record.status}; co-editing opens once it is completed",
                code="report_not_ready",
            )
    room, permission = await _open_room(services, report_id, principal)
    if permission is None:
        # Let the room go again unless other sockets joined it meanwhile.
        await services.hub.release(room)
        raise PermissionDeniedError(
            f"{principal.email} is not a participant of the collaboration session of report "
            f"{report_id}; ask its project manager to add you",
            code="not_a_participant",
        )
    return principal, permission


async def _open_room(
    services: Services, report_id: uuid.UUID, principal: Principal
) -> tuple[Room, str | None]:
    """Open the report's room on this replica and request the caller's permission.

    The request goes over the room's stream, so clients joining an open room make no Ray
    call. The function retries across an idle unload. An actor that unloads rejects a new
    subscription, and one that stops ends its stream or dies with the call in flight. It
    has already left the directory, so the next attempt reaches a freshly loaded actor.
    """
    for attempt in range(1, _CONNECT_ATTEMPTS + 1):
        room: Room | None = None
        try:
            room = await services.hub.open(report_id)
            permission = await room.permission_for(
                principal.email,
                ROLE_PERMISSION[principal.role].value,
                principal.role is Role.ADMIN,
            )
            return room, permission
        except RayActorError as error:
            # An actor whose constructor failed could not load the report: retrying would
            # only start another one that fails the same way.
            if error.actor_init_failed or attempt == _CONNECT_ATTEMPTS:
                raise _unavailable(report_id, error) from error
            logger.info("report %s was unloading (%s); retrying", report_id, error)
        except (ReportUnloadingError, StreamError) as error:
            if isinstance(error, RequestFailedError) and room is not None:
                # The stream outlives a failed request, so a room opened for this request
                # alone would stay open with no socket until its next keepalive.
                await services.hub.release(room)
            if _rejected_alone(error) or attempt == _CONNECT_ATTEMPTS:
                raise _unavailable(report_id, error) from error
            logger.info("report %s was unloading (%s); retrying", report_id, error)
        except RayTaskError as error:
            raise _unavailable(report_id, error) from error
        await asyncio.sleep(_RETRY_SECONDS * attempt)
    raise AssertionError("unreachable")


def _rejected_alone(error: BaseException) -> bool:
    """Return whether the actor rejected this one request while its stream stays usable."""
    return isinstance(error, RequestFailedError) and not error.unloading


def _unavailable(report_id: uuid.UUID, error: Exception) -> ServiceUnavailableError:
    logger.error("report %s could not be opened: %s", report_id, error)
    return ServiceUnavailableError(
        f"report {report_id} could not be loaded; try again shortly", code="report_unavailable"
    )


async def _join(
    services: Services, report_id: uuid.UUID, peer: Peer, principal: Principal, permission: str
) -> tuple[Room, list[Any]]:
    """Join the report's room and register with its actor, retrying across an unload.

    The actor rejects the socket while it unloads, and its room's stream ends when it stops.
    The next attempt then opens a room with the freshly loaded actor. A socket the actor
    rejects for any other reason fails at once, and the room stays open for the others.
    """
    for attempt in range(1, _CONNECT_ATTEMPTS + 1):
        room = await services.hub.join(report_id, peer)
        try:
            initial = await room.connect(
                peer, principal.email, permission, principal.role is Role.ADMIN
            )
            return room, initial
        except asyncio.CancelledError:
            # The client went away while joining. Leave as a joined socket would, or the
            # room and the actor would keep a connection that no socket serves.
            await services.hub.leave(room, peer)
            raise
        except StreamError as error:
            room.peers.pop(peer.id, None)
            peer.drop_early_frames()
            if _rejected_alone(error):
                # The actor rejected this socket alone, so its room keeps serving the others.
                await services.hub.release(room)
                raise
            services.hub.forget(room)
            if attempt == _CONNECT_ATTEMPTS:
                raise
            logger.info("report %s was unloading (%s); retrying the join", report_id, error)
            await asyncio.sleep(_RETRY_SECONDS * attempt)
    raise AssertionError("unreachable")


@router.websocket("/ws/reports/pmr/{report_id}/collaborate")
async def collaborate(websocket: WebSocket, report_id: str) -> None:
    services: Services = websocket.app.state.services
    wire_format = websocket.query_params.get("format")
    if wire_format not in (None, "json"):
        logger.info("rejected a WebSocket upgrade on report %s: format=%r", report_id, wire_format)
        await _deny(
            websocket,
            ApiError(
                f"format={wire_format!r} is not a connection format: use format=json for JSON "
                "events, or leave it out for the Yjs protocol",
                code="invalid_format",
            ),
        )
        return
    try:
        report_uuid = uuid.UUID(report_id)
        principal, permission = await _admit(websocket, services, report_uuid)
    except ValueError:
        await _deny(
            websocket, NotFoundError(f"{report_id!r} is not a report id", code="not_found")
        )
        return
    except ApiError as error:
        await _deny(websocket, error)
        return
    except StorageError as error:
        logger.warning("storage failed during a WebSocket upgrade: %s", error)
        await _deny(websocket, ServiceUnavailableError(str(error), code="database_unavailable"))
        return
    _, subprotocol = _offered_token(websocket)
    await websocket.accept(subprotocol=subprotocol)
    kind = FrameKind.TEXT if wire_format == "json" else FrameKind.BINARY
    peer = Peer(websocket, kind, services.settings.ws_send_queue_frames)
    try:
        room, initial = await _join(services, report_uuid, peer, principal, permission)
    except asyncio.CancelledError:
        # The client went away while its room opened or between attempts, when the peer
        # is in no room whose leave would stop its writer.
        await peer.stop()
        raise
    except (ReportUnloadingError, RayActorError, RayTaskError, StreamError) as error:
        logger.error("report %s: joining failed: %s", report_uuid, error)
        if _rejected_alone(error):
            peer.close(CLOSE_INTERNAL_ERROR, f"the report rejected the connection: {error}")
        else:
            peer.close(CLOSE_SERVICE_RESTART, "the report is restarting; reconnect")
        await peer.stop()
        return
    room.deliver(initial, only=peer, first=True)
    peer.release()
    try:
        await _relay(websocket, services, room, peer)
    finally:
        await services.hub.leave(room, peer)


async def _relay(websocket: WebSocket, services: Services, room: Room, peer: Peer) -> None:
    """Forward the client's frames to the actor and its replies back, until either side ends."""
    limit = services.settings.max_frame_bytes
    while not peer.closed.is_set():
        try:
            message = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        data: bytes | str | None = message.get("bytes")
        if data is None:
            data = message.get("text")
        if data is None:
            peer.close(CLOSE_MALFORMED, "empty WebSocket message")
            return
        size = len(data) if isinstance(data, bytes) else len(data.encode())
        if size > limit:
            peer.close(CLOSE_TOO_BIG, f"frame of {size:,} bytes exceeds the limit of {limit:,}")
            return
        if isinstance(data, bytes) != (peer.kind is FrameKind.BINARY):
            expected = "binary Yjs" if peer.kind is FrameKind.BINARY else "text JSON"
            peer.close(CLOSE_MALFORMED, f"this connection carries {expected} frames")
            return
        if isinstance(data, bytes) and room.awareness.is_echo(data):
            continue
        try:
            replies = await room.receive(peer, data)
        except StreamError as error:
            logger.warning(
                "report %s: frame not handled (%s); closing the socket", room.report_id, error
            )
            if _rejected_alone(error):
                peer.close(CLOSE_INTERNAL_ERROR, f"the report failed on this frame: {error}")
            else:
                peer.close(CLOSE_SERVICE_RESTART, "the report restarted; reconnect to resync")
            return
        room.deliver(replies, only=peer)
        if any(isinstance(reply, Close) for reply in replies):
            return


@router.get("/ws/{path:path}", include_in_schema=False)
async def plain_request(path: str) -> None:
    """Reject a plain HTTP request on a WebSocket path with 426, which a 404 would misreport."""
    raise UpgradeRequiredError(
        f"/ws/{path} is a WebSocket endpoint: connect with a WebSocket client, for example "
        "y-websocket with server URL ws://HOST/ws/reports/pmr",
        code="websocket_required",
    )


@router.websocket("/{path:path}")
async def unknown_socket(websocket: WebSocket, path: str) -> None:
    """Reject an upgrade on any other path with a problem document instead of a bare 403."""
    logger.info("rejected a WebSocket upgrade on the unknown path /%s", path)
    await _deny(
        websocket,
        NotFoundError(
            f"no WebSocket at /{path}; co-editing is at /ws/reports/pmr/{{report_id}}/collaborate",
            code="not_found",
        ),
    )
