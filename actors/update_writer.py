"""Group commit of a report's document updates to its update log.

Callers await ``append``; the writer stores whatever has queued up while the previous
write ran in one transaction, so under load the cost stays near one write per batch
while an idle report pays a single write per update. An update counts as stored only when
``append`` returns.

With ``inline`` (the embedded SQLite database) each append commits at once on the event
loop instead: a local commit in WAL mode takes tens of microseconds (bench/sqlite_commit.py),
less than the two thread hops that batching costs each edit. A commit that waits for
another process's write lock holds up the actor meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence

logger = logging.getLogger(__name__)

# The repository call that stores a batch and returns the last sequence number.
AppendBatch = Callable[[uuid.UUID, Sequence[bytes]], int]


class UpdateWriter:
    """Stores updates in arrival order, batching those that arrive during a write.

    Args:
        inline: commit each update on the caller's event loop, without batching.
    """

    def __init__(
        self, report_id: uuid.UUID, append_batch: AppendBatch, *, inline: bool = False
    ) -> None:
        self._report_id = report_id
        self._append_batch = append_batch
        self._inline = inline
        self._pending: list[tuple[bytes, asyncio.Future[int]]] = []
        self._writing: asyncio.Task[None] | None = None
        self.last_seq = 0
        self.rows_written = 0

    async def append(self, update: bytes) -> int:
        """Store ``update``; return its batch's last sequence number once it is durable.

        Raises:
            StorageError: the batch could not be stored; nothing of it was kept.
        """
        if self._inline:
            return self._store_now(update)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((update, future))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.get_running_loop().create_task(self._drain())
        return await future

    def _store_now(self, update: bytes) -> int:
        try:
            seq = self._append_batch(self._report_id, [update])
        except Exception:
            logger.error("report %s: storing an update failed", self._report_id)
            raise
        self.last_seq = seq
        self.rows_written += 1
        return seq

    async def flush(self) -> None:
        """Wait until everything appended so far is stored."""
        while self._writing is not None and not self._writing.done():
            await asyncio.shield(self._writing)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            updates = [update for update, _ in batch]
            try:
                seq = await asyncio.to_thread(self._append_batch, self._report_id, updates)
            except Exception as error:
                logger.error("report %s: storing %d updates failed", self._report_id, len(updates))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.last_seq = seq
            self.rows_written += len(updates)
            for _, future in batch:
                if not future.done():
                    future.set_result(seq)
