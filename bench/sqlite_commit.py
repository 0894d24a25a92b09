"""Time one-row SQLite commits in WAL mode with synchronous=FULL and with NORMAL.

    python bench/sqlite_commit.py [--commits 300] [--folder PATH]

The folder defaults to a temporary one; point it at the disk that holds PMR_DATA_DIR.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path


def measure(folder: Path, mode: str, commits: int) -> list[float]:
    connection = sqlite3.connect(folder / f"commit-{mode}.sqlite3", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={mode}")
    connection.execute("CREATE TABLE updates (seq INTEGER PRIMARY KEY, body BLOB)")
    seconds = []
    for _ in range(commits):
        started = time.perf_counter()
        connection.execute("BEGIN")
        connection.execute("INSERT INTO updates (body) VALUES (?)", (b"x" * 100,))
        connection.execute("COMMIT")
        seconds.append(time.perf_counter() - started)
    connection.close()
    return sorted(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--folder", type=Path)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=arguments.folder) as folder:
        for mode in ("FULL", "NORMAL"):
            seconds = measure(Path(folder), mode, arguments.commits)
            p50 = seconds[len(seconds) // 2] * 1000
            p99 = seconds[int(len(seconds) * 0.99) - 1] * 1000
            print(f"synchronous={mode}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
