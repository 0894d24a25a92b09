"""Garbage on the collaboration WebSocket, before and after authentication.

Every bad frame must end its own connection with a documented close code (4400 malformed,
1009 too big), every bad upgrade must be refused with its documented status, and the server
must go on serving: other clients keep editing and converge, and the replica's memory stays
bounded over hundreds of bad connections. The garbage comes from a seeded generator, so a
failure reproduces.
"""

from __future__ import annotations

import json
import random
import socket
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from actors import report_actor_handle
from crdt.protocol import write_var_bytes, write_var_uint
from deployments.auth import Role
from tests.collaboration.conftest import WAIT_SECONDS, Server
from tests.hostile.conftest import rss_bytes, serve_replica_pids

pytestmark = pytest.mark.ray

CLOSE_TOO_BIG = 1009
CLOSE_MALFORMED = 4400
SEED = 20261204
# The replica and the report actor may each grow by this much over the bad connections of
# the memory test; a leak of one decoded frame or one peer per connection exceeds it.
RSS_GROWTH_BOUND_BYTES = 48 * 1024 * 1024
MEMORY_ROUNDS = 240


def _var(value: int) -> bytes:
    return write_var_uint(value)


def _overlong_var_uint(count: int) -> bytes:
    """Return ``count`` continuation bytes, a varUint that never ends."""
    return b"\xff" * count


# Binary frames that must close a Yjs connection with 4400, by readable id.
MALFORMED_BINARY: dict[str, bytes] = {
    "empty frame": b"",
    "truncated type varint": b"\x80",
    "truncated sync step varint": b"\x00\x80",
    "sync without step": b"\x00",
    "unknown sync step": b"\x00\x03" + write_var_bytes(b""),
    "huge sync step": b"\x00" + _var(2**53 - 1) + write_var_bytes(b""),
    "sync update without length": b"\x00\x02",
    "sync update truncated length": b"\x00\x02\x80\x80",
    "sync update absurd length": b"\x00\x02" + _var(2**53 - 1) + b"abc",
    "sync update length past frame": b"\x00\x02" + _var(1000) + b"x" * 10,
    "varint over 8 bytes": b"\x00\x02" + _overlong_var_uint(9) + b"\x01",
    "varint above 2^53": b"\x00\x02" + b"\xff" * 7 + b"\x7f",
    "sync update garbage bytes": b"\x00\x02" + write_var_bytes(b"\xde\xad\xbe\xef" * 8),
    "sync step2 garbage bytes": b"\x00\x01" + write_var_bytes(b"\x05" + b"\xff" * 20),
    "sync step1 garbage state vector": b"\x00\x00" + write_var_bytes(b"\xff" * 16),
    "sync step1 absurd state vector": b"\x00\x00" + write_var_bytes(_var(2**40) + b"\x01"),
    "trailing bytes after sync": b"\x00\x02" + write_var_bytes(b"\x00\x00") + b"\x00",
    "awareness truncated": b"\x01\x05\x01",
    "awareness absurd count": b"\x01" + write_var_bytes(_var(2**50)),
    "awareness state not JSON": b"\x01"
    + write_var_bytes(_var(1) + _var(7) + _var(1) + write_var_bytes(b"{not json")),
    "awareness state invalid UTF-8": b"\x01"
    + write_var_bytes(_var(1) + _var(7) + _var(1) + write_var_bytes(b"\xff\xfe")),
    "awareness state nested deeply": b"\x01"
    + write_var_bytes(_var(1) + _var(7) + _var(1) + write_var_bytes(b"[" * 5000)),
    "auth truncated": b"\x02\x00",
    "query awareness with payload": b"\x03\x00",
}

# Text frames that must close a JSON connection with 4400, by readable id.
MALFORMED_JSON: dict[str, str] = {
    "not JSON": "{section_update",
    "empty text": "",
    "JSON array": "[1, 2, 3]",
    "JSON string": '"ping"',
    "JSON null": "null",
    "missing type": '{"section_id": "x"}',
    "type not a string": '{"type": 7}',
    "unknown type": '{"type": "drop_table"}',
    "unknown type similar to known": '{"type": "Section_Update"}',
    "nested deeply": "[" * 5000 + "]" * 5000,
    "object nested deeply": '{"type": "ping", "x": ' + "[" * 5000 + "]" * 5000 + "}",
    "lone surrogate": '{"type": "\\ud800"}',
    "NaN literal": '{"type": "ping", "x": NaN',
}

# Well-formed JSON events with bad fields: answered with an ``error`` event, socket kept open.
BAD_FIELDS_JSON: dict[str, dict[str, Any]] = {
    "section_update unknown section": {
        "type": "section_update",
        "section_id": "no-such-section",
        "changes": {"content": "x"},
    },
    "section_update changes not object": {
        "type": "section_update",
        "section_id": "executive_summary",
        "changes": "x",
    },
    "section_update content not string": {
        "type": "section_update",
        "section_id": "executive_summary",
        "changes": {"content": 12},
    },
    "section_update unknown strategy": {
        "type": "section_update",
        "section_id": "executive_summary",
        "changes": {"content": "x", "merge_strategy": "obliterate"},
    },
    "section_id not string": {"type": "section_update", "section_id": ["a"], "changes": {}},
    "cursor position huge": {
        "type": "user_cursor",
        "section_id": "executive_summary",
        "position": 2**62,
    },
    "cursor position negative": {
        "type": "user_cursor",
        "section_id": "executive_summary",
        "position": -5,
    },
    "cursor position bool": {
        "type": "user_cursor",
        "section_id": "executive_summary",
        "position": True,
    },
    "comment without content": {"type": "comment_added", "section_id": "executive_summary"},
    "comment on unknown section": {
        "type": "comment_added",
        "section_id": "nope",
        "content": "hi",
    },
    "resolve unknown comment": {"type": "comment_resolved", "comment_id": "nope"},
    "resolve comment id not string": {"type": "comment_resolved", "comment_id": {"a": 1}},
}


def _room_url(server: Server, report_id: str, *, json_format: bool = False) -> str:
    query = {"token": server.token("fuzz@example.com", Role.EDITOR)}
    if json_format:
        query["format"] = "json"
    return f"{server.ws_url}/{report_id}/collaborate?{urllib.parse.urlencode(query)}"


def _open(url: str) -> ClientConnection:
    return connect(url, open_timeout=WAIT_SECONDS, close_timeout=WAIT_SECONDS, max_size=None)


def _close_code(connection: ClientConnection) -> tuple[int | None, str]:
    """Read frames until the server closes; return its close code and reason."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            connection.recv(timeout=deadline - time.monotonic())
        except TimeoutError:
            break
        except ConnectionClosed as closed:
            if closed.rcvd is None:
                return None, "closed without a close frame"
            return closed.rcvd.code, closed.rcvd.reason
    raise AssertionError(f"the server did not close the connection within {WAIT_SECONDS} s")


def _send_and_close_code(url: str, frames: Sequence[bytes | str]) -> tuple[int | None, str]:
    with _open(url) as connection:
        for frame in frames:
            try:
                connection.send(frame)
            except ConnectionClosed:
                break  # the server closed on an earlier frame; its code is read below
        return _close_code(connection)


@pytest.mark.parametrize("frame", MALFORMED_BINARY.values(), ids=MALFORMED_BINARY.keys())
def test_malformed_binary_frame_closes_with_4400(
    hostile: Server, hostile_report: dict[str, Any], frame: bytes
) -> None:
    code, reason = _send_and_close_code(_room_url(hostile, hostile_report["id"]), [frame])

    assert code == CLOSE_MALFORMED, reason


def test_every_unknown_message_type_closes_with_4400(
    hostile: Server, hostile_report: dict[str, Any]
) -> None:
    url = _room_url(hostile, hostile_report["id"])
    unknown = [*range(4, 128), 128, 255, 2**14, 2**21 + 3, 2**35, 2**53 - 1]
    outcomes = {kind: _send_and_close_code(url, [_var(kind)]) for kind in unknown}

    wrong = {kind: outcome for kind, outcome in outcomes.items() if outcome[0] != CLOSE_MALFORMED}
    assert wrong == {}


@pytest.mark.parametrize("text", MALFORMED_JSON.values(), ids=MALFORMED_JSON.keys())
def test_malformed_json_event_closes_with_4400(
    hostile: Server, hostile_report: dict[str, Any], text: str
) -> None:
    url = _room_url(hostile, hostile_report["id"], json_format=True)

    code, reason = _send_and_close_code(url, [text])

    assert code == CLOSE_MALFORMED, reason


@pytest.mark.parametrize("event", BAD_FIELDS_JSON.values(), ids=BAD_FIELDS_JSON.keys())
def test_bad_json_fields_answer_error_and_keep_socket(
    hostile: Server, hostile_report: dict[str, Any], event: dict[str, Any]
) -> None:
    url = _room_url(hostile, hostile_report["id"], json_format=True)

    with _open(url) as connection:
        connection.send(json.dumps({**event, "request_id": "bad"}))
        connection.send(json.dumps({"type": "ping", "request_id": "after"}))
        replies = _replies_until(connection, "after")

    assert replies["bad"]["type"] == "error", replies["bad"]
    assert replies["bad"]["message"], replies["bad"]
    assert replies["after"]["type"] == "ack", replies["after"]


def _replies_until(connection: ClientConnection, last_request: str) -> dict[str, dict[str, Any]]:
    """Collect the ``ack`` and ``error`` answers by request id until ``last_request``'s."""
    replies: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + WAIT_SECONDS
    while last_request not in replies:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no answer to {last_request!r} within {WAIT_SECONDS} s: {replies}"
        event = json.loads(connection.recv(timeout=remaining))
        if event.get("type") in ("ack", "error"):
            replies[event["request_id"]] = event
    return replies


@pytest.mark.parametrize(
    ("json_format", "frame"),
    [(False, '{"type": "ping"}'), (True, b"\x00\x00\x00")],
    ids=["text frame on Yjs socket", "binary frame on JSON socket"],
)
def test_frame_of_wrong_kind_closes_with_4400(
    hostile: Server, hostile_report: dict[str, Any], json_format: bool, frame: bytes | str
) -> None:
    url = _room_url(hostile, hostile_report["id"], json_format=json_format)

    code, reason = _send_and_close_code(url, [frame])

    assert code == CLOSE_MALFORMED, reason


@pytest.mark.parametrize("json_format", [False, True], ids=["yjs", "json"])
def test_frame_over_limit_closes_with_1009(
    hostile: Server, hostile_report: dict[str, Any], json_format: bool
) -> None:
    url = _room_url(hostile, hostile_report["id"], json_format=json_format)
    size = hostile.settings.max_frame_bytes + 1
    frame: bytes | str = "x" * size if json_format else b"\x00\x02" + b"\x00" * size

    code, reason = _send_and_close_code(url, [frame])

    assert code == CLOSE_TOO_BIG, reason


def _random_frames(generator: random.Random, count: int) -> Iterator[bytes]:
    """Yield random frames: raw noise, and noise behind each known message type."""
    for _ in range(count):
        body = generator.randbytes(generator.choice([1, 2, 3, 7, 16, 64, 300, 4096]))
        yield (
            generator.choice([b"", b"\x00\x00", b"\x00\x01", b"\x00\x02", b"\x01", b"\x02"]) + body
        )


def test_random_binary_frames_close_cleanly(
    hostile: Server, hostile_report: dict[str, Any]
) -> None:
    """Random noise either decodes as a message or closes its socket with 4400, never worse.

    Each socket gets up to four random frames and then one frame of an unknown type, so
    every socket must end in a 4400 close: a socket the noise broke otherwise shows another
    code or none.
    """
    generator = random.Random(SEED)
    url = _room_url(hostile, hostile_report["id"])
    outcomes = []
    for _ in range(40):
        frames = list(_random_frames(generator, generator.randint(1, 4)))
        outcomes.append(_send_and_close_code(url, [*frames, b"\x7f"]))

    wrong = [outcome for outcome in outcomes if outcome[0] != CLOSE_MALFORMED]
    assert wrong == []


@pytest.mark.parametrize(
    ("token", "protocols", "status"),
    [
        (None, None, 401),
        ("", None, 401),
        ("not-a-token", None, 401),
        ("a.b.c", None, 401),
        ("\u00ff\u0000.\u2603.%%", None, 401),
        ("x" * 6000, None, 401),
        (None, ["a.b.c"], 401),
        (None, ["yjs", "eyJ.eyJ.sig"], 401),
    ],
    ids=[
        "no token",
        "empty token",
        "opaque token",
        "three empty-ish parts",
        "binary token",
        "huge token",
        "forged subprotocol token",
        "forged token among subprotocols",
    ],
)
def test_bad_credentials_are_refused_on_upgrade(
    hostile: Server,
    hostile_report: dict[str, Any],
    token: str | None,
    protocols: list[str] | None,
    status: int,
) -> None:
    url = f"{hostile.ws_url}/{hostile_report['id']}/collaborate"
    if token is not None:
        url += "?" + urllib.parse.urlencode({"token": token})

    with pytest.raises(InvalidStatus) as refused:
        connect(url, subprotocols=protocols, open_timeout=WAIT_SECONDS)  # type: ignore[arg-type]

    assert refused.value.response.status_code == status
    assert refused.value.response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "report_id",
    ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00%ff", "x" * 2000],
    ids=["not a uuid", "unknown uuid", "control bytes", "huge id"],
)
def test_bad_report_id_is_refused_on_upgrade(hostile: Server, report_id: str) -> None:
    token = hostile.token("fuzz@example.com")
    url = f"{hostile.ws_url}/{report_id}/collaborate?token={token}"

    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=WAIT_SECONDS)

    assert refused.value.response.status_code == 404


def _raw_exchange(server: Server, payload: bytes) -> bytes:
    """Send raw bytes to the server's port and return what it sends back before closing.

    The socket stays open for writing, because a server may drop a request whose client
    half-closed before the answer; reading stops at the server's close or after a quiet
    ``WAIT_SECONDS``.
    """
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    received = bytearray()
    with socket.create_connection((host, int(port)), timeout=WAIT_SECONDS) as raw:
        raw.sendall(payload)
        try:
            while chunk := raw.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass  # what arrived before the silence or the reset is the answer
    return bytes(received)


def test_unauthenticated_upgrade_with_pipelined_frames_is_refused(
    hostile: Server, hostile_report: dict[str, Any]
) -> None:
    host = hostile.url.removeprefix("http://")
    path = f"/ws/reports/pmr/{hostile_report['id']}/collaborate"
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    # A masked binary frame of an unknown message type, sent before any answer arrives.
    frame = b"\x82\x81\x00\x00\x00\x00\x7f"

    answer = _raw_exchange(hostile, request + frame * 50)

    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]


def test_raw_noise_instead_of_http_gets_no_upgrade(hostile: Server) -> None:
    generator = random.Random(SEED)
    answers = [_raw_exchange(hostile, generator.randbytes(512)) for _ in range(10)]

    upgraded = [answer[:80] for answer in answers if b" 101 " in answer[:20]]
    assert upgraded == []


def _rss_of_replica_and_actor(report_id: str, server: Server) -> dict[str, int]:
    import ray

    actor = report_actor_handle(uuid.UUID(report_id), server.settings)
    pids: dict[str, int] = {"actor": ray.get(actor.process_id.remote())}
    for index, pid in enumerate(serve_replica_pids()):
        pids[f"replica {index}"] = pid
    return {name: rss_bytes(pid) for name, pid in pids.items()}


def _bad_connection_round(
    url: str, json_url: str, generator: random.Random
) -> list[tuple[int | None, str]]:
    frames = list(_random_frames(generator, 3))
    return [
        _send_and_close_code(url, [*frames, b"\x7f"]),
        _send_and_close_code(url, [b"\x00\x02" + _var(2**53 - 1)]),
        _send_and_close_code(json_url, ['{"type": "unknown"}']),
    ]


def test_bad_connections_leave_memory_bounded_and_editors_working(
    hostile: Server, hostile_report: dict[str, Any]
) -> None:
    report_id = hostile_report["id"]
    section_id = hostile_report["sections"][0]["section_id"]
    url = _room_url(hostile, report_id)
    json_url = _room_url(hostile, report_id, json_format=True)
    generator = random.Random(SEED)
    yjs = hostile.yjs(report_id, "ann@example.com")
    yjs.wait_synced()
    editor = hostile.json_client(report_id, "carol@example.com")
    for _ in range(20):  # warm-up: first connections load code paths and caches
        _bad_connection_round(url, json_url, generator)
    before = _rss_of_replica_and_actor(report_id, hostile)

    codes: list[int | None] = []
    for round_index in range(MEMORY_ROUNDS // 3):
        codes += [code for code, _ in _bad_connection_round(url, json_url, generator)]
        if round_index % 25 == 0:
            yjs.insert(section_id, -1, f" y{round_index}")
            editor.send("ping", request_id=f"p{round_index}")
    after = _rss_of_replica_and_actor(report_id, hostile)
    yjs.insert(section_id, 0, "Still editing. ")
    joined = editor.wait_event(
        lambda event: (
            event["type"] == "section_update"
            and event["changes"]["content"].startswith("Still editing. ")
        )
    )
    late = hostile.yjs(report_id, "bob@example.com")
    late.wait_synced()
    late_text = late.wait_text(section_id, lambda text: text == joined["changes"]["content"])

    assert set(codes) == {CLOSE_MALFORMED}
    growth = {name: after[name] - before.get(name, 0) for name in after}
    assert all(value < RSS_GROWTH_BOUND_BYTES for value in growth.values()), growth
    assert yjs.text(section_id) == late_text
