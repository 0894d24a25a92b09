"""The server's awareness table: who is present, with which cursor, on which connection.

An awareness update is a varUint count followed, per client, by its client id, its clock
and its state as a JSON string; a JSON ``null`` state means the client left. A newer clock
replaces an entry. The table also remembers which connection introduced each client id,
so that a connection that drops without a goodbye can be announced as gone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from crdt.errors import ProtocolError
from crdt.protocol import MessageType, Reader, write_var_string, write_var_uint

# y-protocols drops a state that has not been renewed for 30 s; clients renew every 15 s.
OUTDATED_SECONDS = 30.0
_MAX_STATE_BYTES = 64 * 1024
# A y-websocket client owns one client id per document. Its updates also relay the states
# of others, which are skipped. Without a cap, one connection could introduce ids without
# end, and the server would keep all of their states and send them to every newcomer.
MAX_CLIENTS_PER_CONNECTION = 32
# Each y-websocket client owns one client id, so an awareness update that relays every state
# of a room has one entry per client, 200 in the largest room docs/collaboration.md
# describes. Decoding took about 3 µs per entry (measured once on a 2-core machine, outside
# bench/), so without a cap one 8 MiB frame of 2 million tiny entries would hold up the
# report's actor for several seconds.
MAX_AWARENESS_ENTRIES = 10_000
# The server announces a client's departure with its clock + 1, which must still fit a lib0
# varUint (at most 2^53 - 1), so a client's clock must stay below that maximum.
_MAX_CLOCK = 2**53 - 2


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    client_id: int
    clock: int
    state: str | None  # the JSON text, None when the client left


@dataclass(slots=True)
class _Known:
    clock: int
    state: str | None
    connection: str
    updated: float


def decode_awareness(payload: bytes) -> list[AwarenessEntry]:
    """Decode an awareness update, checking that each state is JSON of bounded size."""
    reader = Reader(payload)
    count = reader.var_uint()
    if count > reader.remaining:
        raise ProtocolError(f"awareness update claims {count} entries in {reader.remaining} bytes")
    if count > MAX_AWARENESS_ENTRIES:
        raise ProtocolError(
            f"awareness update has {count:,} entries, more than the {MAX_AWARENESS_ENTRIES:,} "
            "allowed; send the states of fewer clients"
        )
    entries = []
    for _ in range(count):
        client_id = reader.var_uint()
        clock = reader.var_uint()
        if clock > _MAX_CLOCK:
            raise ProtocolError(
                f"awareness clock {clock} of client {client_id} exceeds {_MAX_CLOCK}, "
                "so its removal could not be announced"
            )
        text = reader.var_string()
        if len(text.encode("utf-8")) > _MAX_STATE_BYTES:
            raise ProtocolError(f"awareness state of client {client_id} exceeds 64 KiB")
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except ValueError as error:
            raise ProtocolError(
                f"awareness state of client {client_id} is not JSON: {error}"
            ) from error
        except RecursionError as error:
            # json.loads recurses once per nesting level, up to the interpreter recursion limit.
            raise ProtocolError(
                f"awareness state of client {client_id} nests arrays or objects too deeply"
            ) from error
        entries.append(AwarenessEntry(client_id, clock, None if value is None else text))
    if reader.remaining:
        raise ProtocolError(f"{reader.remaining} unexpected bytes after the awareness entries")
    return entries


def _reject_constant(token: str) -> None:
    """Reject NaN and Infinity, which Python's json accepts and JavaScript's JSON.parse rejects.

    The server relays each state as sent. When JSON.parse throws on one state, y-protocols
    1.0.7 skips the entries after it and emits no change event for those before it, so
    one such state hides the others' presence and cursors from every Yjs client.
    """
    raise ValueError(f"{token} is not a JSON value")


def encode_awareness(entries: Iterable[AwarenessEntry]) -> bytes:
    items = list(entries)
    out = bytearray(write_var_uint(len(items)))
    for entry in items:
        out += write_var_uint(entry.client_id)
        out += write_var_uint(entry.clock)
        out += write_var_string(entry.state if entry.state is not None else "null")
    return bytes(out)


class AwarenessTable:
    """Awareness states of one document's clients, each owned by the connection that sent it."""

    def __init__(self) -> None:
        self._known: dict[int, _Known] = {}

    def apply(self, connection: str, entries: Iterable[AwarenessEntry]) -> list[AwarenessEntry]:
        """Apply a connection's entries; return those accepted, to broadcast.

        An entry is accepted when its clock is newer, or equal with a removal. A client id
        that another live connection introduced is rejected, so no one can speak for others.
        A state that would give the connection more than ``MAX_CLIENTS_PER_CONNECTION``
        present clients is rejected too.
        """
        accepted = []
        now = time.monotonic()
        present = {
            client_id
            for client_id, known in self._known.items()
            if known.connection == connection and known.state is not None
        }
        for entry in entries:
            known = self._known.get(entry.client_id)
            if known is None and entry.state is None:
                continue  # the removal of a client never seen: nothing to remove or announce
            if known is not None and known.connection != connection and known.state is not None:
                continue
            newer = known is None or entry.clock > known.clock
            removal = known is not None and entry.clock == known.clock and entry.state is None
            if not (newer or removal):
                continue
            if entry.state is None:
                # Forgotten rather than kept as removed, so that introducing and removing
                # client ids in turn cannot grow the table.
                present.discard(entry.client_id)
                del self._known[entry.client_id]
            elif entry.client_id not in present:
                if len(present) >= MAX_CLIENTS_PER_CONNECTION:
                    continue
                present.add(entry.client_id)
            if entry.state is not None:
                self._known[entry.client_id] = _Known(entry.clock, entry.state, connection, now)
            accepted.append(entry)
        return accepted

    def remove_connection(self, connection: str) -> list[AwarenessEntry]:
        """Mark every client of ``connection`` as gone; return the removals to broadcast."""
        removals = []
        for client_id, known in list(self._known.items()):
            if known.connection != connection:
                continue
            if known.state is not None:
                removals.append(AwarenessEntry(client_id, known.clock + 1, None))
            del self._known[client_id]
        return removals

    def expire(self, now: float | None = None) -> list[AwarenessEntry]:
        """Remove states not renewed within ``OUTDATED_SECONDS``; return the removals."""
        moment = time.monotonic() if now is None else now
        removals = []
        for client_id, known in list(self._known.items()):
            if known.state is not None and moment - known.updated > OUTDATED_SECONDS:
                removals.append(AwarenessEntry(client_id, known.clock + 1, None))
                del self._known[client_id]
        return removals

    def due_for_renewal(self, client_id: int, now: float | None = None) -> AwarenessEntry | None:
        """Return the client's present entry once half of ``OUTDATED_SECONDS`` has passed.

        y-protocols 1.0.7 clients renew their own state at that point (15 s), so the server
        renews the states it publishes for JSON clients there too.
        """
        known = self._known.get(client_id)
        if known is None or known.state is None:
            return None
        moment = time.monotonic() if now is None else now
        if moment - known.updated < OUTDATED_SECONDS / 2:
            return None
        return AwarenessEntry(client_id, known.clock, known.state)

    def states(self) -> list[AwarenessEntry]:
        """Return every present client, for a newcomer or a query-awareness request."""
        return [
            AwarenessEntry(client_id, known.clock, known.state)
            for client_id, known in self._known.items()
            if known.state is not None
        ]

    def users(self) -> dict[int, Any]:
        """Return the decoded state of every present client, by client id."""
        return {
            entry.client_id: json.loads(entry.state)
            for entry in self.states()
            if entry.state is not None
        }


class RelayedAwareness:
    """The awareness entry a replica last relayed for each client id, to spot echoes.

    A y-websocket provider sends every awareness update it applies back to the server: its
    own client's and everyone else's. With N clients, each change comes back N times, and
    each copy would cross the stream to the report's actor only to be found stale there,
    while the edits queued behind it wait. A frame whose entries all repeat, byte for
    byte, what was relayed last for their client ids changes nothing and can stay here.

    NOTE: the actor publishes a removal up to ``AWARENESS_INTERVAL_SECONDS`` (50 ms, in
    actors/collaboration.py) after its table deletes the client, and the removal then
    crosses the stream. In that window an unchanged entry, such as the one a y-websocket
    client sends again on reconnecting, stays here although the actor would take it back.
    y-protocols 1.0.7 clients send it again with a newer clock once the removal reaches them.
    """

    def __init__(self) -> None:
        self._latest: dict[int, tuple[int, bytes]] = {}

    def relayed(self, frame: bytes) -> None:
        """Remember the entries of an awareness frame from the actor, ignoring other frames."""
        for client_id, clock, state in _raw_entries(frame) or ():
            if state == b"null":
                self._latest.pop(client_id, None)
            else:
                self._latest[client_id] = (clock, state)

    def is_echo(self, frame: bytes) -> bool:
        """Return whether ``frame`` is an awareness update that only repeats relayed entries.

        A client's frame can be as large as the frame limit (8 MiB by default), so the check
        stops at the first entry that is no repeat and decodes nothing into a list. An echo
        repeats one relayed update, which names each client id once, so a frame with more
        entries than there are remembered client ids is no echo.
        """
        reader = _awareness_update(frame)
        if reader is None:
            return False
        latest = self._latest
        try:
            count = reader.var_uint()
            if count == 0 or count > len(latest):
                return False
            for _ in range(count):
                client_id = reader.var_uint()
                clock = reader.var_uint()
                if latest.get(client_id) != (clock, reader.var_bytes()):
                    return False
        except ProtocolError:
            return False
        return reader.remaining == 0


def _awareness_update(frame: bytes) -> Reader | None:
    """Return a reader positioned at the awareness update in ``frame``, or None.

    None means that ``frame`` is not an awareness message, or has bytes after its update.
    The reader reads ``frame`` in place, so the update is not copied.
    """
    if frame[:1] != bytes([MessageType.AWARENESS]):
        return None
    reader = Reader(frame)
    try:
        reader.var_uint()
        length = reader.var_uint()
    except ProtocolError:
        return None
    return reader if length == reader.remaining else None


def _raw_entries(frame: bytes) -> list[tuple[int, int, bytes]] | None:
    """Return the entries of an awareness frame with their states undecoded, or None.

    None means that ``frame`` is not a well-formed awareness frame, which the actor checks.
    """
    reader = _awareness_update(frame)
    if reader is None:
        return None
    try:
        count = reader.var_uint()
        if count > reader.remaining:
            return None
        entries = [
            (reader.var_uint(), reader.var_uint(), reader.var_bytes()) for _ in range(count)
        ]
    except ProtocolError:
        return None
    return None if reader.remaining else entries
