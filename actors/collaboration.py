"""Handling of client frames: y-websocket binary messages and JSON events.

``Collaboration`` turns one incoming frame into document changes (through the actor's
store-then-apply path), replies to the sender and broadcasts. It holds no I/O itself.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pycrdt import Doc, get_state

from actors.connections import CLOSE_MALFORMED, Connection, Connections
from actors.outbox import Close, Frame, FrameKind, Outbox, Outgoing
from crdt import (
    AwarenessEntry,
    AwarenessTable,
    CommentNotFoundError,
    DocumentError,
    MergeStrategy,
    ProtocolError,
    ReportDocument,
    SectionNotFoundError,
    UpdateRejectedError,
    add_comment,
    anchor,
    comment_view,
    decode_awareness,
    encode_awareness,
    list_comments,
    resolve_anchor,
    resolve_comment,
)
from crdt.protocol import (
    AuthMessage,
    AwarenessMessage,
    QueryAwarenessMessage,
    SyncMessage,
    SyncStep,
    awareness_frame,
    decode_message,
    permission_denied,
    sync_step1,
    sync_step2,
    sync_update,
)

logger = logging.getLogger(__name__)

# The actor's path for a client's update: store it, apply it, broadcast it.
StoreUpdate = Callable[[bytes, Connection], Awaitable[None]]
# The actor's path for a server-side edit made on a client's behalf.
CommitEdit = Callable[
    [Callable[[ReportDocument], Any], Connection, str | None, str], Awaitable[Any]
]
# The actor's callback that drops the connections of replica subscriptions whose queue
# overflowed on a publish.
DropOverflowed = Callable[[list[str]], None]

_MAX_JSON_CHARS = 2_000_000
_SURROGATE = re.compile("[\ud800-\udfff]")
# A Yjs update with no structs and an empty delete set.
_EMPTY_UPDATE = b"\x00\x00"
# The state vector of a document with nothing in it: no clients.
_EMPTY_STATE_VECTOR = b"\x00"
# Awareness changes go out at most once per this interval. Those that arrive in between
# wait for its end and go out merged in one frame. A lone change goes out at once. When
# fifty y-websocket clients open a report together, each announces itself. Unmerged, that
# is fifty frames for each of the fifty sockets.
AWARENESS_INTERVAL_SECONDS = 0.05


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event(kind: str, **fields: Any) -> str:
    """Encode a JSON event, sending each non-finite number in it as null.

    Yjs clients can store Infinity or NaN in the document, which ``json.dumps`` would
    write as tokens that JSON parsers such as JavaScript's JSON.parse reject. Pydantic
    writes them as null in the REST responses, and so does this.
    """
    message = {"type": kind, **fields}
    try:
        return json.dumps(message, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(message), ensure_ascii=False, allow_nan=False)


def _finite(value: Any) -> Any:
    """Return ``value`` with every non-finite float replaced by None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _contains_lone_surrogate(value: Any) -> bool:
    """Check whether a decoded JSON value contains a string with an unpaired surrogate.

    json.loads turns an escape such as \\ud800 without its pair into a lone surrogate, which
    UTF-8 cannot encode, so echoing it in a text frame would fail. The walk uses a stack,
    because the value may be nested nearly as deep as the recursion limit.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class Collaboration:
    """Frame handling for one report; the actor owns it and passes its own paths in."""

    def __init__(
        self,
        document: ReportDocument,
        connections: Connections,
        outbox: Outbox,
        store_update: StoreUpdate,
        commit_edit: CommitEdit,
        drop_overflowed: DropOverflowed | None = None,
    ) -> None:
        self.document = document
        self.connections = connections
        self.outbox = outbox
        self.awareness = AwarenessTable()
        self._store_update = store_update
        self._commit_edit = commit_edit
        self._drop_overflowed = drop_overflowed
        # The sync step 2 frame for a client with an empty document, until the next change.
        self._whole_document_frame: Frame | None = None
        self._whole_document_ids = itertools.count(1)
        # Stored updates whose structs wait for an earlier update of their client. Their
        # structs are in no sync step 2, so newcomers get these updates after it.
        # NOTE: they stay in memory until an update fills the gap; a client that never
        # sends it leaves them here for the actor's lifetime.
        self._waiting: list[bytes] = []
        # Awareness entries waiting for the end of the interval, by client id.
        self._awareness_due: dict[int, AwarenessEntry] = {}
        self._awareness_flush: asyncio.TimerHandle | None = None
        self._awareness_sent_at = -math.inf

    def document_changed(self, stalled: bytes | None = None) -> None:
        """Forget what was derived from the document. The actor calls this on every change.

        Args:
            stalled: a client update just applied that left the document's state vector
                unchanged, so that its structs may wait for an earlier update.
        """
        self._whole_document_frame = None
        # Decoding the state vector took 0.5 ms for 500 client ids (measured once, outside
        # bench/), so it happens only for stalled updates and while some wait.
        if self._waiting:
            self._waiting = [item for item in self._waiting if not self.document.integrates(item)]
        if stalled is not None and not self.document.integrates(stalled):
            self._waiting.append(stalled)
            logger.info(
                "a stored update waits for an earlier update of its client; %d waiting",
                len(self._waiting),
            )

    # Binary frames -------------------------------------------------------------------------

    async def receive_binary(self, connection: Connection, frame: bytes) -> list[Outgoing]:
        try:
            message = decode_message(frame)
        except ProtocolError as error:
            return [Close(CLOSE_MALFORMED, f"malformed frame: {error}")]
        if isinstance(message, SyncMessage):
            return await self._sync(connection, message)
        if isinstance(message, AwarenessMessage):
            return self._awareness(connection, message.payload)
        if isinstance(message, QueryAwarenessMessage):
            return [
                Frame(FrameKind.BINARY, awareness_frame(encode_awareness(self.awareness.states())))
            ]
        assert isinstance(message, AuthMessage)
        return []  # clients do not send auth messages; one that does is ignored

    async def _sync(self, connection: Connection, message: SyncMessage) -> list[Outgoing]:
        if message.step is SyncStep.STEP1:
            if message.payload == _EMPTY_STATE_VECTOR:
                return [self._whole_document(), *self._waiting_frames()]
            try:
                missing = self.document.changes_since(message.payload)
            except Exception as error:  # pycrdt raises its own types on a bad state vector
                return [Close(CLOSE_MALFORMED, f"invalid state vector: {error}")]
            return [Frame(FrameKind.BINARY, sync_step2(missing)), *self._waiting_frames()]
        # A new client replies to the server's sync step 1 with an empty update. It changes
        # nothing, so it is neither stored nor broadcast, from any connection.
        if message.payload == _EMPTY_UPDATE:
            return []
        # Commenters comment through JSON events or REST: a Yjs update cannot be limited to
        # the comments without decoding which shared types it touches.
        if not connection.can_edit:
            # The client keeps the rejected change, and its later updates build on it even
            # after a new session raises its permission. They are rejected as after a broken
            # content rule, instead of being stored where they could never apply.
            denial = self._denial(connection)
            if connection.rejected_update is None:
                connection.rejected_update = denial
            return [Frame(FrameKind.BINARY, permission_denied(denial))]
        if connection.rejected_update is not None:
            return [Frame(FrameKind.BINARY, permission_denied(_after_rejection(connection)))]
        try:
            _check_update(message.payload)
            await self._store_update(message.payload, connection)
        except ProtocolError as error:
            return [Close(CLOSE_MALFORMED, str(error))]
        except UpdateRejectedError as error:
            connection.rejected_update = str(error)
            logger.info("rejected a Yjs update of %s: %s", connection.user, error)
            return [Frame(FrameKind.BINARY, permission_denied(str(error)))]
        return []

    def _whole_document(self) -> Frame:
        """Return sync step 2 for a new client, encoded once for all who join in a row.

        Fifty clients opening a report of a megabyte would otherwise encode it fifty times
        on the actor's event loop, while its edits wait. Its ``shared_id`` lets each
        replica's stream carry it once.
        """
        if self._whole_document_frame is None:
            whole = self.document.changes_since(_EMPTY_STATE_VECTOR)
            self._whole_document_frame = Frame(
                FrameKind.BINARY, sync_step2(whole), shared_id=next(self._whole_document_ids)
            )
        return self._whole_document_frame

    def _waiting_frames(self) -> list[Outgoing]:
        return [Frame(FrameKind.BINARY, sync_update(update)) for update in self._waiting]

    @staticmethod
    def _denial(connection: Connection) -> str:
        return (
            f"{connection.user} has {connection.permission.value} permission on this report; "
            "document changes were not applied"
        )

    def _awareness(self, connection: Connection, payload: bytes) -> list[Outgoing]:
        try:
            entries = decode_awareness(payload)
        except ProtocolError as error:
            return [Close(CLOSE_MALFORMED, f"malformed awareness update: {error}")]
        accepted = self.awareness.apply(connection.id, entries)
        if accepted:
            self.broadcast_awareness(accepted)
        return []

    def broadcast_awareness(self, entries: list[AwarenessEntry]) -> None:
        """Send awareness changes to every Yjs client, merged per ``AWARENESS_INTERVAL_SECONDS``.

        Called on the actor's event loop. A client's later entry replaces its earlier one
        only where y-protocols clients that applied both in turn would apply it: with a newer
        clock, or as a removal with the same clock. The table deletes a removed client's
        entry, so it accepts the id again at any clock, but y-protocols clients keep the
        removal's clock and ignore a state that is not newer.
        """
        for entry in entries:
            due = self._awareness_due.get(entry.client_id)
            if (
                due is None
                or entry.clock > due.clock
                or (entry.clock == due.clock and entry.state is None)
            ):
                self._awareness_due[entry.client_id] = entry
        if self._awareness_flush is not None:
            return
        loop = asyncio.get_running_loop()
        wait = self._awareness_sent_at + AWARENESS_INTERVAL_SECONDS - loop.time()
        if wait <= 0:
            self._send_awareness()
        else:
            self._awareness_flush = loop.call_later(wait, self._send_awareness)

    def expire_awareness(self) -> None:
        """Announce the clients whose awareness state was not renewed in time as gone.

        The server publishes each JSON client's cursor under an awareness id of its own.
        y-protocols clients keep the clock of a removal, so that client's next state gets a
        clock newer than the removal's, or they would ignore it.
        """
        removals = self.awareness.expire()
        if not removals:
            return
        removal_clocks = {entry.client_id: entry.clock for entry in removals}
        for connection in self.connections.all():
            clock = removal_clocks.get(connection.awareness_id)
            if clock is not None:
                connection.awareness_clock = max(connection.awareness_clock, clock)
        self.broadcast_awareness(removals)

    def renew_json_cursors(self) -> None:
        """Publish each JSON client's cursor state again before it would expire.

        A JSON client sends no awareness of its own, so without renewal Yjs clients would
        drop its cursor 30 s after it last moved, while the client is still connected.
        """
        renewed: list[AwarenessEntry] = []
        for connection in self.connections.all():
            if connection.kind is not FrameKind.TEXT:
                continue
            due = self.awareness.due_for_renewal(connection.awareness_id)
            if due is None:
                continue
            connection.awareness_clock = max(connection.awareness_clock, due.clock) + 1
            entry = AwarenessEntry(due.client_id, connection.awareness_clock, due.state)
            renewed.extend(self.awareness.apply(connection.id, [entry]))
        if renewed:
            self.broadcast_awareness(renewed)

    def _send_awareness(self) -> None:
        self._awareness_flush = None
        self._awareness_sent_at = asyncio.get_running_loop().time()
        entries, self._awareness_due = list(self._awareness_due.values()), {}
        if entries:
            self._publish(Frame(FrameKind.BINARY, awareness_frame(encode_awareness(entries))))

    def _publish(self, frame: Frame) -> None:
        overflowed = self.outbox.publish(frame)
        if overflowed and self._drop_overflowed is not None:
            self._drop_overflowed(overflowed)

    def welcome_binary(self) -> list[Outgoing]:
        """Frames a new Yjs connection gets: the server's state vector and who is present."""
        frames: list[Outgoing] = [
            Frame(FrameKind.BINARY, sync_step1(self.document.state_vector()))
        ]
        states = self.awareness.states()
        if states:
            frames.append(Frame(FrameKind.BINARY, awareness_frame(encode_awareness(states))))
        return frames

    # JSON events ---------------------------------------------------------------------------

    def welcome_json(self, connection: Connection) -> list[Outgoing]:
        view = self.document.to_dict()
        return [
            Frame(
                FrameKind.TEXT,
                event(
                    "welcome",
                    connection_id=connection.id,
                    user_id=connection.user,
                    permission=connection.permission.value,
                    sections=view["sections"],
                    comments=list_comments(self.document),
                    presence=self.connections.presence(),
                ),
            )
        ]

    async def receive_text(self, connection: Connection, text: str) -> list[Outgoing]:
        if len(text) > _MAX_JSON_CHARS:
            return [Close(CLOSE_MALFORMED, f"JSON event longer than {_MAX_JSON_CHARS} characters")]
        try:
            message = json.loads(text)
        except ValueError as error:
            return [Close(CLOSE_MALFORMED, f"invalid JSON: {error}")]
        except RecursionError:
            # json.loads recurses once per nesting level, up to the interpreter recursion limit.
            return [Close(CLOSE_MALFORMED, "invalid JSON: arrays or objects nested too deeply")]
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return [Close(CLOSE_MALFORMED, "a JSON event must be an object with a string 'type'")]
        if _contains_lone_surrogate(message):
            return [
                Close(
                    CLOSE_MALFORMED,
                    "invalid JSON: a \\u escape gives a lone UTF-16 surrogate; send characters "
                    "above U+FFFF as surrogate pairs",
                )
            ]
        handler = self._handlers().get(message["type"])
        if handler is None:
            known = ", ".join(sorted(self._handlers()))
            return [
                Close(CLOSE_MALFORMED, f"unknown event type {message['type']!r}; expected {known}")
            ]
        request_id = message.get("request_id")
        try:
            result = await handler(connection, message)
        except (DocumentError, KeyError, TypeError, ValueError) as error:
            return [
                _reply(
                    "error",
                    request_id,
                    code=_error_code(error),
                    message=f"{message['type']} failed: {error}",
                )
            ]
        return [_reply("ack", request_id, event=message["type"], result=result)]

    def _handlers(self) -> dict[str, Callable[[Connection, dict[str, Any]], Awaitable[Any]]]:
        return {
            "section_update": self._section_update,
            "user_cursor": self._user_cursor,
            "comment_added": self._comment_added,
            "comment_resolved": self._comment_resolved,
            "ping": self._ping,
        }

    async def _ping(self, connection: Connection, message: dict[str, Any]) -> Any:
        return {"time": now_iso()}

    async def _section_update(self, connection: Connection, message: dict[str, Any]) -> Any:
        if not connection.can_edit:
            raise EventDeniedError(self._denial(connection))
        section_id = _text(message, "section_id")
        changes = message.get("changes")
        if not isinstance(changes, dict):
            raise ValueError("'changes' must be an object with 'content' and optionally 'title'")
        content = changes.get("content")
        title = changes.get("title")
        if content is not None and not isinstance(content, str):
            raise ValueError("'changes.content' must be a string")
        if title is not None and not isinstance(title, str):
            raise ValueError("'changes.title' must be a string")
        strategy = MergeStrategy(changes.get("merge_strategy", MergeStrategy.MERGE.value))

        def edit(document: ReportDocument) -> None:
            document.update_section(section_id, title=title, body=content, strategy=strategy)

        await self._commit_edit(edit, connection, section_id, "content_update")
        return {"section_id": section_id}

    async def _user_cursor(self, connection: Connection, message: dict[str, Any]) -> Any:
        section_id = _text(message, "section_id")
        position = message.get("position")
        if not isinstance(position, int) or isinstance(position, bool):
            raise ValueError("'position' must be an integer count of characters")
        connection.cursor_anchor = anchor(self.document, section_id, position)
        connection.cursor_section = section_id
        self.publish_cursor(connection)
        return {"section_id": section_id, "position": position}

    def publish_cursor(self, connection: Connection) -> None:
        """Send a JSON client's cursor, resolved against the current text, to every client.

        JSON clients get a ``user_cursor`` event and Yjs clients an awareness state, so both
        see the cursor move when text is inserted or deleted before it.
        """
        if connection.cursor_section is None or connection.cursor_anchor is None:
            return
        try:
            position = resolve_anchor(
                self.document, connection.cursor_section, connection.cursor_anchor
            )
        except (DocumentError, KeyError):
            # A Yjs editor removed or replaced the section or its body, so the cursor points
            # nowhere. This runs after an update was stored, so it must not raise.
            connection.cursor_section = None
            connection.cursor_anchor = None
            return
        self._publish_cursor_awareness(connection, position)
        payload = event(
            "user_cursor",
            user_id=connection.user,
            connection_id=connection.id,
            section_id=connection.cursor_section,
            position=position,
        )
        self._publish(Frame(FrameKind.TEXT, payload))

    def announce_json_client(self, connection: Connection) -> None:
        """Show a new JSON client to Yjs clients as an awareness state with its name only.

        Yjs clients, the page among them, list the people present from awareness states,
        and a JSON client has none of its own until it moves its cursor.
        """
        self._publish_json_awareness(connection, {"user": {"name": connection.user}})

    def _publish_cursor_awareness(self, connection: Connection, position: int) -> None:
        """Show a JSON client's cursor to Yjs clients as an awareness state of its own."""
        state = {
            "user": {"name": connection.user},
            "cursor": {"section_id": connection.cursor_section, "position": position},
        }
        self._publish_json_awareness(connection, state)

    def _publish_json_awareness(self, connection: Connection, state: dict[str, Any]) -> None:
        connection.awareness_clock += 1
        entry = AwarenessEntry(
            connection.awareness_id, connection.awareness_clock, json.dumps(state)
        )
        accepted = self.awareness.apply(connection.id, [entry])
        if accepted:
            self.broadcast_awareness(accepted)

    async def _comment_added(self, connection: Connection, message: dict[str, Any]) -> Any:
        if not connection.can_comment:
            raise EventDeniedError(self._denial(connection))
        section_id = _text(message, "section_id")
        content = _text(message, "content")
        position = message.get("position")
        if position is not None and (not isinstance(position, int) or isinstance(position, bool)):
            raise ValueError("'position' must be an integer count of characters or absent")
        comment_id = str(uuid.uuid4())
        created: dict[str, Any] = {}

        def edit(document: ReportDocument) -> None:
            created.update(
                add_comment(
                    document,
                    comment_id=comment_id,
                    section_id=section_id,
                    content=content,
                    user=connection.user,
                    created_at=now_iso(),
                    position=position,
                )
            )

        await self._commit_edit(edit, connection, section_id, "comment_added")
        return created

    async def _comment_resolved(self, connection: Connection, message: dict[str, Any]) -> Any:
        if not connection.can_comment:
            raise EventDeniedError(self._denial(connection))
        comment_id = _text(message, "comment_id")
        current = comment_view(self.document, comment_id)
        resolved: dict[str, Any] = {}

        def edit(document: ReportDocument) -> None:
            resolved.update(
                resolve_comment(document, comment_id, user=connection.user, resolved_at=now_iso())
            )

        await self._commit_edit(edit, connection, current["section_id"], "comment_resolved")
        return resolved


def _text(message: dict[str, Any], key: str) -> str:
    value = message.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"'{key}' must be a non-empty string")
    return value


def _after_rejection(connection: Connection) -> str:
    """Explain why every update of a connection is rejected after one of them was.

    Yjs integrates each client's operations in clock order, so the server would keep every
    later operation of the client pending, waiting for the rejected one. Rejecting them
    keeps such updates out of the log. The client shows its own changes until it reloads.
    """
    return (
        f"an earlier change on this connection was rejected ({connection.rejected_update}), "
        "and later changes build on it, so they were not applied either; reload the report "
        "to continue editing"
    )


class EventDeniedError(ValueError):
    """The connection's permission does not allow the JSON event."""


def _error_code(error: Exception) -> str:
    """Return the ``code`` of the error event sent for a failed JSON event."""
    if isinstance(error, EventDeniedError):
        return "permission_denied"
    if isinstance(error, SectionNotFoundError | CommentNotFoundError):
        return "not_found"
    if isinstance(error, DocumentError):
        return "invalid_change"
    return "invalid_event"


def _reply(kind: str, request_id: Any, **fields: Any) -> Frame:
    return Frame(FrameKind.TEXT, event(kind, request_id=request_id, **fields))


def _check_update(update: bytes) -> None:
    """Reject bytes that are not exactly one Yjs update before they reach the log."""
    # NOTE: an update whose structs wait for an earlier update of the same client passes:
    # it is stored and broadcast, and newcomers get it after the whole document until the
    # gap is filled (``Collaboration.document_changed``).
    if not _decodes(update):
        # Decoding the update for its state vector takes well under a microsecond. Applying
        # it to a new document takes several, and its error names where the bytes went
        # wrong, so that runs only to word the rejection.
        try:
            Doc().apply_update(update)
        except Exception as error:  # pycrdt reports decoding failures with its own types
            raise ProtocolError(f"invalid Yjs update: {error}") from error
        raise ProtocolError("invalid Yjs update: its state vector cannot be read")
    # pycrdt reads an update from its start and ignores the bytes after its end. Every
    # prefix shorter than the update fails to decode, so one that is a byte short decodes
    # only when bytes follow the update.
    if _decodes(update[:-1]):
        extra = len(update) - _update_length(update)
        unit = "byte" if extra == 1 else "bytes"
        raise ProtocolError(f"invalid Yjs update: {extra} unexpected {unit} after its end")


def _decodes(update: bytes) -> bool:
    try:
        get_state(update)
    except Exception:  # pycrdt reports decoding failures with its own exception types
        return False
    return True


def _update_length(update: bytes) -> int:
    """Return the length of the shortest prefix of ``update`` that decodes."""
    low, high = 0, len(update)
    while low < high:
        middle = (low + high) // 2
        if _decodes(update[:middle]):
            high = middle
        else:
            low = middle + 1
    return high
