"""``pmr audit verify``: check the hash chain of the audit log."""

from __future__ import annotations

import click

from config import Settings
from storage import AuditRepository, ChainVerdict, Database, StorageError
from storage.repositories.audit_chain import MAX_PROBLEMS


def verify_chain(settings: Settings) -> ChainVerdict:
    """Return the verdict on the audit chain of the configured database.

    Raises:
        click.ClickException: the database cannot be read.
    """
    database = Database(settings.sqlalchemy_url)
    try:
        return AuditRepository(database).verify()
    except StorageError as error:
        raise click.ClickException(
            f"cannot read the audit log of {database.url}: {error}; check PMR_DATABASE_URL, "
            "and start `pmr serve` once to create the tables"
        ) from error
    finally:
        database.dispose()


def describe(verdict: ChainVerdict) -> list[str]:
    """Return the lines that report the verdict: one summary, then one per problem."""
    if verdict.intact:
        return [
            f"audit chain intact: {verdict.entries} entries, head at entry {verdict.last_seq} "
            f"with hash {verdict.head_hash or '-'}"
        ]
    summary = f"audit chain broken: {len(verdict.problems)} problems in {verdict.entries} entries"
    if len(verdict.problems) >= MAX_PROBLEMS:
        summary += f"; only the first {MAX_PROBLEMS} are listed"
    lines = [summary]
    lines.extend(
        f"entry {problem.seq}: {problem.kind.value}: {problem.message}"
        for problem in verdict.problems
    )
    return lines
