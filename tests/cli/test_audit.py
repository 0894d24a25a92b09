"""``pmr audit verify`` run as a separate process on a SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import delete, update

from storage import AuditEvent, AuditRepository, AuditTarget, Database, content_hash
from storage.models import AuditEntryRow

PMR = [sys.executable, "-m", "cli"]


def run_verify(data_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PMR_DATA_DIR": str(data_dir)}
    environment.pop("PMR_DATABASE_URL", None)
    return subprocess.run(
        [*PMR, "audit", "verify"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def filled_database(data_dir: Path, entries: int) -> Database:
    """Return the data folder's database, migrated, with ``entries`` audit entries."""
    database = Database(f"sqlite:///{data_dir / 'pmr.sqlite3'}")
    database.migrate()
    events = [
        AuditEvent(
            actor="ann@example.com",
            action="template_replaced",
            target_type=AuditTarget.TEMPLATE,
            target_id=str(uuid.UUID(int=index)),
            before_hash=content_hash(str(index)),
            after_hash=content_hash(str(index + 1)),
        )
        for index in range(entries)
    ]
    AuditRepository(database).append(events)
    return database


def test_verify_of_intact_chain_exits_zero(tmp_path: Path) -> None:
    filled_database(tmp_path, 3).dispose()

    result = run_verify(tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("audit chain intact: 3 entries, head at entry 3 with hash ")


def test_verify_names_changed_entry_and_fails(tmp_path: Path) -> None:
    database = filled_database(tmp_path, 4)
    with database.session() as session:
        session.execute(
            update(AuditEntryRow).where(AuditEntryRow.seq == 2).values(after_hash="0" * 64)
        )
    database.dispose()

    result = run_verify(tmp_path)

    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[0] == "audit chain broken: 1 problems in 4 entries"
    assert lines[1].startswith("entry 2: changed: entry 2 (template_replaced on template ")


def test_verify_names_deleted_entry_and_fails(tmp_path: Path) -> None:
    database = filled_database(tmp_path, 4)
    with database.session() as session:
        session.execute(delete(AuditEntryRow).where(AuditEntryRow.seq == 3))
    database.dispose()

    result = run_verify(tmp_path)

    assert result.returncode == 1
    assert "entry 3: missing: entry 3 is missing: deleted from the log" in result.stdout


def test_verify_of_unmigrated_database_explains(tmp_path: Path) -> None:
    result = run_verify(tmp_path)

    assert result.returncode == 1
    assert "cannot read the audit log" in result.stderr
    assert "pmr serve" in result.stderr
