from __future__ import annotations

import json
import tracemalloc

import pytest

from crdt import (
    AwarenessEntry,
    AwarenessTable,
    ProtocolError,
    RelayedAwareness,
    decode_awareness,
    encode_awareness,
)
from crdt.awareness import MAX_AWARENESS_ENTRIES, MAX_CLIENTS_PER_CONNECTION
from crdt.protocol import awareness_frame, sync_update, write_var_uint


def entry(client_id: int, clock: int, state: object) -> AwarenessEntry:
    return AwarenessEntry(client_id, clock, None if state is None else json.dumps(state))


def test_encode_decode_round_trip() -> None:
    entries = [entry(1, 3, {"user": {"name": "Zoë"}}), entry(2, 1, None)]

    assert decode_awareness(encode_awareness(entries)) == entries


def test_newer_clock_replaces_state() -> None:
    table = AwarenessTable()
    table.apply("c1", [entry(7, 1, {"cursor": 1})])

    accepted = table.apply("c1", [entry(7, 2, {"cursor": 5})])

    assert accepted == [entry(7, 2, {"cursor": 5})]
    assert table.users() == {7: {"cursor": 5}}


def test_older_clock_is_ignored() -> None:
    table = AwarenessTable()
    table.apply("c1", [entry(7, 5, {"cursor": 1})])

    accepted = table.apply("c1", [entry(7, 4, {"cursor": 9})])

    assert accepted == []
    assert table.users() == {7: {"cursor": 1}}


def test_other_connection_cannot_speak_for_a_client() -> None:
    table = AwarenessTable()
    table.apply("c1", [entry(7, 1, {"name": "a"})])

    accepted = table.apply("c2", [entry(7, 9, None)])

    assert accepted == []
    assert 7 in table.users()


def test_connection_states_are_capped() -> None:
    table = AwarenessTable()
    flood = [entry(client_id, 1, {}) for client_id in range(MAX_CLIENTS_PER_CONNECTION + 50)]

    accepted = table.apply("c1", flood)

    assert len(accepted) == MAX_CLIENTS_PER_CONNECTION
    assert len(table.states()) == MAX_CLIENTS_PER_CONNECTION


def test_capped_connection_still_updates_and_leaves() -> None:
    table = AwarenessTable()
    table.apply("c1", [entry(client_id, 1, {}) for client_id in range(MAX_CLIENTS_PER_CONNECTION)])

    rejected = table.apply("c1", [entry(10_000, 1, {"name": "extra"})])
    updated = table.apply("c1", [entry(0, 2, {"cursor": 3})])
    left = table.apply("c1", [entry(1, 1, None)])
    other = table.apply("c2", [entry(20_000, 1, {"name": "b"})])

    assert rejected == []
    assert updated == [entry(0, 2, {"cursor": 3})]
    assert left == [entry(1, 1, None)]
    assert other == [entry(20_000, 1, {"name": "b"})]


def test_removals_do_not_grow_the_table() -> None:
    table = AwarenessTable()
    unknown = table.apply("c1", [entry(client_id, 1, None) for client_id in range(10_000)])
    for client_id in range(10_000, 12_000):
        table.apply("c1", [entry(client_id, 1, {})])
        table.apply("c1", [entry(client_id, 1, None)])

    assert unknown == []
    assert table.states() == []
    assert len(table._known) == 0
    assert table.remove_connection("c1") == []


def test_removing_connection_announces_its_clients_gone() -> None:
    table = AwarenessTable()
    table.apply("c1", [entry(7, 3, {"name": "a"}), entry(8, 1, {"name": "b"})])
    table.apply("c2", [entry(9, 1, {"name": "c"})])

    removals = table.remove_connection("c1")

    assert removals == [AwarenessEntry(7, 4, None), AwarenessEntry(8, 2, None)]
    assert set(table.users()) == {9}


def test_states_not_renewed_expire() -> None:
    table = AwarenessTable()
    table.apply("c1", [entry(7, 1, {"name": "a"})])

    removals = table.expire(now=10**9)

    assert removals == [AwarenessEntry(7, 2, None)]
    assert table.users() == {}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        pytest.param(b"\x05\x01", "claims 5 entries", id="count-too-large"),
        pytest.param(b"\x01\x01\x01\x03abc", "not JSON", id="not-json"),
        pytest.param(b"\x01\x01\x01\x05{}", "exceeds the", id="short-string"),
    ],
)
def test_decode_rejects_malformed_awareness(payload: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode_awareness(payload)


@pytest.mark.parametrize("state", ["NaN", '{"cursor": Infinity}', "[-Infinity]"])
def test_non_standard_json_state_is_rejected(state: str) -> None:
    # JavaScript's JSON.parse, which y-protocols uses, rejects these tokens.
    payload = encode_awareness([AwarenessEntry(7, 1, state)])

    with pytest.raises(ProtocolError, match="awareness state of client 7 is not JSON"):
        decode_awareness(payload)


def test_entry_count_is_capped() -> None:
    entries = [AwarenessEntry(7, 1, "0")] * (MAX_AWARENESS_ENTRIES + 1)

    with pytest.raises(ProtocolError, match="10,001 entries, more than the 10,000 allowed"):
        decode_awareness(encode_awareness(entries))


def test_entry_count_at_cap_decodes() -> None:
    entries = [AwarenessEntry(client_id, 1, "{}") for client_id in range(MAX_AWARENESS_ENTRIES)]

    assert decode_awareness(encode_awareness(entries)) == entries


def test_deeply_nested_state_is_protocol_error() -> None:
    nested = "[" * 5000 + "]" * 5000
    payload = encode_awareness([AwarenessEntry(1, 1, nested)])

    with pytest.raises(ProtocolError, match="nests arrays or objects too deeply"):
        decode_awareness(payload)


def test_clock_without_successor_is_rejected() -> None:
    # 2^53 - 1 is the largest lib0 varUint, so clock + 1 for the removal would not encode.
    payload = encode_awareness([entry(7, 2**53 - 1, {"user": {"name": "ann"}})])

    with pytest.raises(ProtocolError, match="awareness clock 9007199254740991 of client 7"):
        decode_awareness(payload)


def test_removal_of_highest_accepted_clock_encodes() -> None:
    table = AwarenessTable()
    payload = encode_awareness([entry(7, 2**53 - 2, {"user": {"name": "ann"}})])
    table.apply("c1", decode_awareness(payload))

    removals = table.remove_connection("c1")

    assert removals == [AwarenessEntry(7, 2**53 - 1, None)]
    # One entry, client 7: encoding raised before the clock limit.
    assert encode_awareness(removals).startswith(b"\x01\x07")


def test_state_size_counts_utf8_bytes() -> None:
    # 20,000 characters of four UTF-8 bytes each: 80,000 bytes, over the 64 KiB limit.
    state = json.dumps({"name": "\U0001f600" * 20_000}, ensure_ascii=False)
    payload = encode_awareness([AwarenessEntry(7, 1, state)])

    with pytest.raises(ProtocolError, match="exceeds 64 KiB"):
        decode_awareness(payload)


def frame_of(*entries: AwarenessEntry) -> bytes:
    return awareness_frame(encode_awareness(entries))


ANN = AwarenessEntry(7, 3, '{"user":"ann"}')
BOB = AwarenessEntry(9, 1, '{"user":"bob"}')


def test_repeat_of_relayed_entries_is_echo() -> None:
    relayed = RelayedAwareness()
    relayed.relayed(frame_of(ANN, BOB))

    assert relayed.is_echo(frame_of(ANN))
    assert relayed.is_echo(frame_of(BOB, ANN))


@pytest.mark.parametrize(
    "entry",
    [
        AwarenessEntry(7, 4, '{"user":"ann"}'),
        AwarenessEntry(7, 3, '{"user":"ann","cursor":1}'),
        AwarenessEntry(7, 3, None),
        AwarenessEntry(8, 3, '{"user":"ann"}'),
    ],
    ids=["newer clock", "other state", "removal", "other client"],
)
def test_changed_entry_is_no_echo(entry: AwarenessEntry) -> None:
    relayed = RelayedAwareness()
    relayed.relayed(frame_of(ANN))

    assert not relayed.is_echo(frame_of(entry))
    assert not relayed.is_echo(frame_of(ANN, entry))


def test_relayed_removal_forgets_client() -> None:
    relayed = RelayedAwareness()
    relayed.relayed(frame_of(ANN))
    relayed.relayed(frame_of(AwarenessEntry(7, 4, None)))

    assert not relayed.is_echo(frame_of(ANN))
    assert not relayed.is_echo(frame_of(AwarenessEntry(7, 4, None)))


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        frame_of(),
        sync_update(b"\x00\x00"),
        frame_of(ANN)[:-1],
        frame_of(ANN) + b"\x00",
        b"\x01\x04\x05\x07\x03",
    ],
    ids=["empty", "no entries", "document update", "truncated", "trailing byte", "count too big"],
)
def test_other_frames_are_no_echo(frame: bytes) -> None:
    relayed = RelayedAwareness()
    relayed.relayed(frame_of(ANN))
    relayed.relayed(frame)

    assert not relayed.is_echo(frame)
    assert relayed.is_echo(frame_of(ANN))


def test_surplus_entries_are_no_echo() -> None:
    relayed = RelayedAwareness()
    relayed.relayed(frame_of(ANN))

    assert not relayed.is_echo(frame_of(ANN, ANN))


def test_echo_check_of_large_frame_allocates_little() -> None:
    # 350,000 entries of 3 bytes each, the first of them for a client id never relayed.
    count = 350_000
    frame = awareness_frame(write_var_uint(count) + b"\x01\x00\x00" * count)
    relayed = RelayedAwareness()
    relayed.relayed(frame_of(ANN))

    tracemalloc.start()
    try:
        echo = relayed.is_echo(frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert not echo
    assert peak < 64 * 1024
