"""The y-websocket wire protocol: decoding client frames and encoding server frames.

One binary WebSocket frame carries one message: a varUint message type, then its payload
(lib0 encoding, as y-protocols 1.0 writes it):

- 0 sync: varUint subtype (0 step 1 with a state vector, 1 step 2 with an update,
  2 update), then a varUint8Array.
- 1 awareness: a varUint8Array holding the awareness update.
- 2 auth: subtype 0 (permission denied), then a varString reason.
- 3 query awareness: no payload.

Decoding checks every length against the bytes present, because a frame is untrusted input
and pycrdt's own decoder does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from crdt.errors import ProtocolError

# lib0 varUints carry at most 53 bits, the integers a JavaScript number holds exactly.
_MAX_VAR_UINT_BYTES = 8
_MAX_VAR_UINT = 2**53 - 1


class MessageType(IntEnum):
    SYNC = 0
    AWARENESS = 1
    AUTH = 2
    QUERY_AWARENESS = 3


class SyncStep(IntEnum):
    STEP1 = 0
    STEP2 = 1
    UPDATE = 2


@dataclass(frozen=True, slots=True)
class SyncMessage:
    step: SyncStep
    payload: bytes  # a state vector for step 1, an update otherwise

    @property
    def writes(self) -> bool:
        """Whether the message carries document changes (step 2 or update)."""
        return self.step is not SyncStep.STEP1


@dataclass(frozen=True, slots=True)
class AwarenessMessage:
    payload: bytes


@dataclass(frozen=True, slots=True)
class AuthMessage:
    denied: bool
    reason: str


@dataclass(frozen=True, slots=True)
class QueryAwarenessMessage:
    pass


Message = SyncMessage | AwarenessMessage | AuthMessage | QueryAwarenessMessage


class Reader:
    """A bounds-checked cursor over lib0-encoded bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._position = 0

    @property
    def remaining(self) -> int:
        return len(self._data) - self._position

    def var_uint(self) -> int:
        value = 0
        for index in range(_MAX_VAR_UINT_BYTES):
            if self._position >= len(self._data):
                raise ProtocolError("truncated varUint: the frame ends inside a number")
            byte = self._data[self._position]
            self._position += 1
            value |= (byte & 0x7F) << (7 * index)
            if byte < 0x80:
                if value > _MAX_VAR_UINT:
                    raise ProtocolError(f"varUint {value} exceeds 2^53 - 1")
                return value
        raise ProtocolError(f"varUint longer than {_MAX_VAR_UINT_BYTES} bytes")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        if length > self.remaining:
            raise ProtocolError(
                f"length prefix {length} exceeds the {self.remaining} bytes left in the frame"
            )
        chunk = self._data[self._position : self._position + length]
        self._position += length
        return chunk

    def var_string(self) -> str:
        raw = self.var_bytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ProtocolError(f"string is not valid UTF-8: {error}") from error


def decode_state_vector(data: bytes) -> dict[int, int]:
    """Return a Yjs state vector as the next expected clock of each client id.

    Raises:
        ProtocolError: ``data`` is not an encoded state vector.
    """
    reader = Reader(data)
    clocks: dict[int, int] = {}
    for _ in range(reader.var_uint()):
        client = reader.var_uint()
        clocks[client] = reader.var_uint()
    return clocks


def update_start_clocks(update: bytes) -> dict[int, int] | None:
    """Return the clock at which a one-client Yjs update's structs start, by client id.

    Returns an empty dict for an update without structs, and None when the update holds
    structs of several clients: finding where the second client's block starts would
    mean decoding every struct of the first.

    Raises:
        ProtocolError: the update's header is truncated.
    """
    reader = Reader(update)
    clients = reader.var_uint()
    if clients == 0:
        return {}
    if clients > 1:
        return None
    structs = reader.var_uint()
    client = reader.var_uint()
    clock = reader.var_uint()
    return {client: clock} if structs else {}


def write_var_uint(value: int) -> bytes:
    if value < 0 or value > _MAX_VAR_UINT:
        raise ValueError(f"varUint out of range: {value}")
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def write_var_bytes(data: bytes) -> bytes:
    return write_var_uint(len(data)) + data


def write_var_string(text: str) -> bytes:
    """Encode with the UTF-8 byte count as the length, as lib0 does."""
    return write_var_bytes(text.encode("utf-8"))


def decode_message(frame: bytes) -> Message:
    """Decode one client frame.

    Raises:
        ProtocolError: the frame is empty, truncated, of an unknown type, or has bytes left
            over after its message.
    """
    if not frame:
        raise ProtocolError("empty frame")
    reader = Reader(frame)
    kind = reader.var_uint()
    message: Message
    if kind == MessageType.SYNC:
        step = reader.var_uint()
        if step not in SyncStep._value2member_map_:
            raise ProtocolError(f"unknown sync step {step}; expected 0, 1 or 2")
        message = SyncMessage(SyncStep(step), reader.var_bytes())
    elif kind == MessageType.AWARENESS:
        message = AwarenessMessage(reader.var_bytes())
    elif kind == MessageType.AUTH:
        denied = reader.var_uint() == 0
        message = AuthMessage(denied, reader.var_string())
    elif kind == MessageType.QUERY_AWARENESS:
        message = QueryAwarenessMessage()
    else:
        raise ProtocolError(f"unknown message type {kind}; expected 0 to 3")
    if reader.remaining:
        raise ProtocolError(f"{reader.remaining} unexpected bytes after the message")
    return message


def sync_step1(state_vector: bytes) -> bytes:
    return bytes([MessageType.SYNC, SyncStep.STEP1]) + write_var_bytes(state_vector)


def sync_step2(update: bytes) -> bytes:
    return bytes([MessageType.SYNC, SyncStep.STEP2]) + write_var_bytes(update)


def sync_update(update: bytes) -> bytes:
    return bytes([MessageType.SYNC, SyncStep.UPDATE]) + write_var_bytes(update)


def awareness_frame(payload: bytes) -> bytes:
    return bytes([MessageType.AWARENESS]) + write_var_bytes(payload)


def permission_denied(reason: str) -> bytes:
    return bytes([MessageType.AUTH, 0]) + write_var_string(reason)


def query_awareness() -> bytes:
    return bytes([MessageType.QUERY_AWARENESS])
