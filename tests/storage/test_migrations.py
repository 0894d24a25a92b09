"""Alembic migrations on both backends: the migrated schema equals the models."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage import Database, StorageError
from storage.database import alembic_config
from storage.models import Base


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _schema_differences(database: Database) -> list[Any]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _table_names(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names())


def test_upgrade_head_matches_models(unmigrated_database: Database) -> None:
    unmigrated_database.migrate()

    assert unmigrated_database.revision() == head_revision()
    assert _schema_differences(unmigrated_database) == []


def test_unmigrated_database_has_no_revision(unmigrated_database: Database) -> None:
    assert unmigrated_database.revision() is None
    assert _table_names(unmigrated_database) == set()


def test_downgrade_base_drops_every_table(unmigrated_database: Database) -> None:
    unmigrated_database.migrate()

    unmigrated_database.downgrade("base")

    assert unmigrated_database.revision() is None
    assert _table_names(unmigrated_database) == {"alembic_version"}


def test_upgrade_after_downgrade_restores_schema(unmigrated_database: Database) -> None:
    unmigrated_database.migrate()
    unmigrated_database.downgrade("0001")

    unmigrated_database.migrate()

    assert unmigrated_database.revision() == head_revision()
    assert _schema_differences(unmigrated_database) == []


def test_migrate_twice_changes_nothing(unmigrated_database: Database) -> None:
    unmigrated_database.migrate()

    unmigrated_database.migrate()

    assert unmigrated_database.revision() == head_revision()


def test_migrate_to_unknown_revision_raises_storage_error(
    unmigrated_database: Database,
) -> None:
    with pytest.raises(StorageError, match="check the revision name"):
        unmigrated_database.migrate("9999")
