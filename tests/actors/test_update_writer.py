"""UpdateWriter: batched appends in a thread, or inline commits on the event loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest

from actors.update_writer import UpdateWriter
from storage import StorageError

REPORT = uuid.uuid4()


class Log:
    """An update log in memory whose appends fail while ``fail`` is set."""

    def __init__(self) -> None:
        self.batches: list[list[bytes]] = []
        self.fail = False

    def append(self, report_id: uuid.UUID, updates: Sequence[bytes]) -> int:
        if self.fail:
            raise StorageError("disk full")
        self.batches.append(list(updates))
        return sum(map(len, self.batches))


async def test_concurrent_appends_share_a_batch() -> None:
    log = Log()
    writer = UpdateWriter(REPORT, log.append)

    seqs = await asyncio.gather(*(writer.append(bytes([n])) for n in range(5)))

    assert sum(map(len, log.batches)) == 5
    assert len(log.batches) < 5
    assert seqs[-1] == 5
    assert writer.rows_written == 5


async def test_inline_append_is_stored_when_it_returns() -> None:
    log = Log()
    writer = UpdateWriter(REPORT, log.append, inline=True)

    seqs = await asyncio.gather(*(writer.append(bytes([n])) for n in range(3)))

    assert log.batches == [[b"\x00"], [b"\x01"], [b"\x02"]]
    assert seqs == [1, 2, 3]
    assert writer.last_seq == 3


@pytest.mark.parametrize("inline", [False, True], ids=["batched", "inline"])
async def test_failed_append_raises_and_counts_nothing(inline: bool) -> None:
    log = Log()
    log.fail = True
    writer = UpdateWriter(REPORT, log.append, inline=inline)

    with pytest.raises(StorageError, match="disk full"):
        await writer.append(b"x")

    assert writer.rows_written == 0
    await writer.flush()
