from __future__ import annotations

import pytest
from pycrdt import Doc, Text, create_sync_message, create_update_message

from crdt import ProtocolError
from crdt.protocol import (
    AwarenessMessage,
    QueryAwarenessMessage,
    SyncMessage,
    SyncStep,
    decode_message,
    decode_state_vector,
    permission_denied,
    sync_step1,
    sync_step2,
    sync_update,
    update_start_clocks,
    write_var_uint,
)


def test_step1_matches_pycrdt_encoding() -> None:
    doc: Doc[Text] = Doc()
    doc["text"] = Text("hello")

    assert sync_step1(doc.get_state()) == create_sync_message(doc)


def test_update_matches_pycrdt_encoding() -> None:
    doc: Doc[Text] = Doc()
    doc["text"] = Text("hello")
    update = doc.get_update()

    assert sync_update(update) == create_update_message(update)


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        pytest.param(sync_step1(b"\x00"), SyncMessage(SyncStep.STEP1, b"\x00"), id="step1"),
        pytest.param(
            sync_step2(b"\x00\x00"), SyncMessage(SyncStep.STEP2, b"\x00\x00"), id="step2"
        ),
        pytest.param(sync_update(b"\x01"), SyncMessage(SyncStep.UPDATE, b"\x01"), id="update"),
        pytest.param(b"\x01\x01\x00", AwarenessMessage(b"\x00"), id="awareness"),
        pytest.param(b"\x03", QueryAwarenessMessage(), id="query-awareness"),
    ],
)
def test_decode_round_trips_each_message(frame: bytes, expected: object) -> None:
    assert decode_message(frame) == expected


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        pytest.param(b"", "empty frame", id="empty"),
        pytest.param(b"\x80", "truncated varUint", id="truncated-type"),
        pytest.param(b"\x00\x02\xff\xff\xff\x7f", "exceeds the", id="absurd-length"),
        pytest.param(b"\x00\x07\x00", "unknown sync step 7", id="unknown-step"),
        pytest.param(b"\x09", "unknown message type 9", id="unknown-type"),
        pytest.param(b"\x00\x00\x01\x00\x00", "unexpected bytes", id="trailing-bytes"),
        pytest.param(b"\x00" + b"\xff" * 9, "longer than 8 bytes", id="endless-varuint"),
        pytest.param(b"\x02\x00\x02\xc3\x28", "not valid UTF-8", id="bad-utf8"),
    ],
)
def test_decode_rejects_malformed_frames(frame: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode_message(frame)


def test_permission_denied_carries_reason() -> None:
    frame = permission_denied("read-only: ünïcode")

    assert frame[:2] == b"\x02\x00"
    assert frame[2:].endswith("read-only: ünïcode".encode())


def test_var_uint_encodes_lib0_groups() -> None:
    assert write_var_uint(0) == b"\x00"
    assert write_var_uint(127) == b"\x7f"
    assert write_var_uint(128) == b"\x80\x01"
    assert write_var_uint(300) == b"\xac\x02"


def two_text_updates() -> tuple[Doc[Text], bytes, bytes]:
    """Return a document and two consecutive updates of its one client."""
    doc: Doc[Text] = Doc()
    text = doc.get("text", type=Text)
    text += "ab"
    first = doc.get_update()
    middle = doc.get_state()
    text += "cd"
    return doc, first, doc.get_update(middle)


def test_update_start_clocks_reads_first_block() -> None:
    doc, first, second = two_text_updates()

    assert update_start_clocks(first) == {doc.client_id: 0}
    assert update_start_clocks(second) == {doc.client_id: 2}


def test_update_start_clocks_of_empty_update() -> None:
    assert update_start_clocks(b"\x00\x00") == {}


def test_update_start_clocks_of_several_clients() -> None:
    first_client: Doc[Text] = Doc()
    second_client: Doc[Text] = Doc()
    first_client.get("text", type=Text).insert(0, "a")
    second_client.get("text", type=Text).insert(0, "b")
    both: Doc[Text] = Doc()
    both.apply_update(first_client.get_update())
    both.apply_update(second_client.get_update())

    assert update_start_clocks(both.get_update()) is None


def test_update_start_clocks_of_truncated_update() -> None:
    with pytest.raises(ProtocolError, match="truncated"):
        update_start_clocks(b"\x01\x05")


def test_decode_state_vector_of_document() -> None:
    doc, _, _ = two_text_updates()

    assert decode_state_vector(doc.get_state()) == {doc.client_id: 4}
