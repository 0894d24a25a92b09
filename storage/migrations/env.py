"""Alembic environment of the storage schema.

``Database.migrate()`` passes an open connection in ``config.attributes["connection"]``.
Run from the alembic command line instead, the URL comes from the ``sqlalchemy.url`` option
(``alembic -x`` is not read) or else from the server settings (``PMR_DATABASE_URL`` or the
SQLite file in the data folder).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from config.settings import load_settings
from storage.models import Base


def _database_url() -> str:
    configured = context.config.get_main_option("sqlalchemy.url")
    return configured or load_settings().sqlalchemy_url


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot alter most constraints in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=Base.metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = create_engine(_database_url())
    try:
        with engine.begin() as own_connection:
            _run_on(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
