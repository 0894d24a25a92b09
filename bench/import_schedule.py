"""Time the import of a schedule file: reading and checking it, then storing it in SQLite.

python bench/import_schedule.py PATH/sp10-cost-loaded.xer --runs 5
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from common import machine, schedule_argument, summary, timed

from schedules import import_schedule
from storage import Database, ProjectRepository


def main() -> None:
    arguments = schedule_argument(__doc__ or "")
    data = arguments.schedule.read_bytes()
    reads: list[float] = []
    stores: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        database.migrate()
        projects = ProjectRepository(database)
        for _ in range(arguments.runs):
            read_seconds, result = timed(
                lambda: import_schedule(data, arguments.schedule.name, max_bytes=10**9)
            )
            store_seconds, _ = timed(
                partial(
                    projects.add, result, filename=arguments.schedule.name, imported_by="bench"
                )
            )
            reads.append(read_seconds)
            stores.append(store_seconds)
        database.dispose()
    totals = [read + store for read, store in zip(reads, stores, strict=True)]
    print(f"machine: {machine()}")
    print(f"file: {arguments.schedule.name} ({len(data):,} bytes)")
    print(f"read and check: {summary(reads)}")
    print(f"store (SQLite): {summary(stores)}")
    print(f"import total:   {summary(totals)}")


if __name__ == "__main__":
    main()
