"""The outbox's queues: frames a replica polls, with queued document updates merged."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, Text

from actors.outbox import Close, Frame, FrameKind, Outbox, Outgoing, coalesce_updates
from crdt.protocol import SyncMessage, SyncStep, decode_message, sync_update


def _updates(count: int) -> list[bytes]:
    doc: Doc[Any] = Doc()
    metrics = doc.get("metrics", type=Map)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for index in range(count):
        metrics[f"k{index}"] = index
    return updates


def _update_frame(update: bytes, stored_at: float) -> Frame:
    return Frame(FrameKind.BINARY, sync_update(update), stored_at=stored_at, update=update)


def _applied(frame: Frame) -> dict[str, float]:
    assert isinstance(frame.payload, bytes)
    message = decode_message(frame.payload)
    assert isinstance(message, SyncMessage)
    assert message.step is SyncStep.UPDATE
    doc: Doc[Any] = Doc()
    doc.apply_update(message.payload)
    return dict(doc.get("metrics", type=Map))


async def test_poll_merges_adjacent_updates_only() -> None:
    outbox = Outbox()
    subscription = outbox.subscribe()
    first, second, third, fourth = _updates(4)
    awareness = Frame(FrameKind.BINARY, b"\x01\x01\x00")
    targeted = Frame(FrameKind.BINARY, sync_update(fourth), targets=frozenset({"c1"}))
    close = Close(4429, "slow", frozenset({"c2"}))
    for item in (
        _update_frame(first, 10.0),
        _update_frame(second, 11.0),
        awareness,
        _update_frame(third, 12.0),
        targeted,
        close,
    ):
        outbox.publish(item)

    polled = await outbox.poll(subscription, 0.01)

    assert len(polled) == 5
    merged, kept_awareness, alone, kept_targeted, kept_close = polled
    assert isinstance(merged, Frame)
    assert isinstance(alone, Frame)
    assert _applied(merged) == {"k0": 0.0, "k1": 1.0}
    assert merged.stored_at == 10.0
    assert kept_awareness is awareness
    assert _applied(alone) == {"k2": 2.0}
    assert alone.stored_at == 12.0
    assert kept_targeted is targeted
    assert kept_close is close


async def test_poll_keeps_single_update() -> None:
    outbox = Outbox()
    subscription = outbox.subscribe()
    (only,) = _updates(1)
    frame = _update_frame(only, 5.0)
    outbox.publish(frame)

    assert await outbox.poll(subscription, 0.01) == [frame]


def test_equal_runs_share_merged_frame() -> None:
    first, second, third = (_update_frame(update, 1.0) for update in _updates(3))

    one_socket = coalesce_updates([first, second, third])
    other_socket = coalesce_updates([first, second, third])
    shorter_run = coalesce_updates([first, second])

    assert len(one_socket) == len(other_socket) == len(shorter_run) == 1
    assert one_socket[0] is other_socket[0]
    assert isinstance(shorter_run[0], Frame)
    assert _applied(shorter_run[0]) == {"k0": 0.0, "k1": 1.0}
    assert isinstance(one_socket[0], Frame)
    assert _applied(one_socket[0]) == {"k0": 0.0, "k1": 1.0, "k2": 2.0}


def _edits_of_clients(count: int) -> tuple[list[bytes], str]:
    """Return ``count`` updates of three clients that insert and delete text in turn.

    Each client first receives what the others did, as it would from the server, and the
    second value is the text after all of them.
    """
    server: Doc[Any] = Doc()
    clients: list[Doc[Any]] = [Doc(client_id=100 + index) for index in range(3)]
    updates: list[bytes] = []
    for step in range(count):
        client = clients[step % 3]
        client.apply_update(server.get_update(client.get_state()))
        before = client.get_state()
        text = client.get("body", type=Text)
        if step % 4 == 3:
            del text[0:2]
        else:
            text.insert(len(text) // 2, f"{step % 10}é")
        update = client.get_update(before)
        server.apply_update(update)
        updates.append(update)
    return updates, str(server.get("body", type=Text))


def test_long_run_of_three_clients_merges() -> None:
    updates, expected = _edits_of_clients(500)
    frames: list[Outgoing] = [
        _update_frame(update, float(index)) for index, update in enumerate(updates)
    ]

    (merged,) = coalesce_updates(frames)

    assert isinstance(merged, Frame)
    assert isinstance(merged.payload, bytes)
    message = decode_message(merged.payload)
    assert isinstance(message, SyncMessage)
    receiver: Doc[Any] = Doc()
    receiver.apply_update(message.payload)
    assert str(receiver.get("body", type=Text)) == expected
    assert merged.stored_at == 0.0


async def test_declined_direct_write_keeps_order() -> None:
    outbox = Outbox()
    subscription = outbox.subscribe()
    written: list[Outgoing] = []
    accepting = True

    def direct(items: list[Outgoing]) -> bool:
        if accepting:
            written.extend(items)
        return accepting

    outbox.attach(subscription, direct)
    frames = [Frame(FrameKind.TEXT, f"frame {index}") for index in range(4)]
    outbox.publish(frames[0])
    accepting = False
    outbox.publish(frames[1])
    accepting = True
    # A frame is waiting in the queue, so this one must queue behind it.
    outbox.publish(frames[2])
    queued = await outbox.poll(subscription, 0)
    outbox.publish(frames[3])

    assert written == [frames[0], frames[3]]
    assert queued == [frames[1], frames[2]]


async def test_detached_subscription_queues_every_frame() -> None:
    outbox = Outbox()
    subscription = outbox.subscribe()
    written: list[Outgoing] = []

    def direct(items: list[Outgoing]) -> bool:
        written.extend(items)
        return True

    outbox.attach(subscription, direct)
    outbox.attach(subscription, None)
    frame = Frame(FrameKind.TEXT, "frame")

    outbox.publish(frame)

    assert written == []
    assert await outbox.poll(subscription, 0) == [frame]
