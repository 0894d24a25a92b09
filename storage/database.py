"""The connection to the server's database: engine, sessions and schema migrations.

SQLite is the default (a file in the data folder); PostgreSQL is reached through psycopg 3.
Open a ``Database`` once per process, run ``migrate()`` at start-up, hand it to the
repositories, and call ``dispose()`` (or leave its ``with`` block) at shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from config.settings import Settings
from storage.errors import InvalidData, StorageError, Unavailable, translated_errors

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Seconds a SQLite connection waits for another writer's lock before it gives up.
_SQLITE_BUSY_TIMEOUT = 30.0


class Database:
    """An engine with a session factory, bound to one database URL."""

    def __init__(self, url: str | URL, *, echo: bool = False) -> None:
        """Create the engine; no connection is opened until the first session.

        Raises:
            InvalidData: the URL cannot be parsed or names an unknown database driver.
            Unavailable: the folder of a SQLite file cannot be created.
        """
        try:
            self._url = _normalised_url(url)
            self._engine = _create_engine(self._url, echo=echo)
        except ArgumentError as error:
            raise InvalidData(
                f"database URL {_shown(url)} is invalid: {error}; expected sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/DATABASE"
            ) from error
        self._sessions = sessionmaker(bind=self._engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """Open the database that ``PMR_DATABASE_URL`` or the data folder names."""
        return cls(settings.sqlalchemy_url)

    @property
    def url(self) -> str:
        """The URL with any password replaced by asterisks, for messages and logs."""
        return self._url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        """The backend name: ``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session in a transaction that commits on exit or rolls back on an error.

        SQLAlchemy and driver errors leave as ``StorageError`` subclasses, cause chained.
        """
        with translated_errors(self.url), self._sessions.begin() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Yield a Core connection in a transaction, for hot paths that need no ORM objects.

        It commits on exit or rolls back on an error, and translates errors as ``session``
        does. Appending a live edit this way takes about half the time of a session.
        """
        with translated_errors(self.url), self._engine.begin() as connection:
            yield connection

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to ``revision`` in one transaction."""
        from alembic import command

        self._run_alembic(command.upgrade, revision)
        logger.info("database %s migrated to %s", self.url, revision)

    def downgrade(self, revision: str) -> None:
        """Downgrade the schema to ``revision``; ``base`` drops every table."""
        from alembic import command

        self._run_alembic(command.downgrade, revision)
        logger.info("database %s downgraded to %s", self.url, revision)

    def revision(self) -> str | None:
        """Return the schema revision stored in the database, or None before any migration."""
        from alembic.runtime.migration import MigrationContext

        with translated_errors(self.url), self._engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def dispose(self) -> None:
        """Close every pooled connection; the object may be used again afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.dispose()

    def __reduce__(self) -> tuple[type[Database], tuple[str]]:
        # A copy sent to a Ray worker opens its own engine on the same URL.
        return (type(self), (self._url.render_as_string(hide_password=False),))

    def __repr__(self) -> str:
        return f"Database({self.url!r})"

    def _run_alembic(self, operation: Any, revision: str) -> None:
        from alembic.util import CommandError

        config = alembic_config()
        try:
            with translated_errors(self.url), self._engine.begin() as connection:
                config.attributes["connection"] = connection
                operation(config, revision)
        except CommandError as error:
            raise StorageError(
                f"migration of {self.url} to {revision} failed: {error}; "
                "check the revision name against storage/migrations/versions"
            ) from error


def alembic_config() -> Config:
    """Return an Alembic configuration for the storage migrations, built without an ini file."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def migrate(url: str | URL) -> None:
    """Upgrade the database at ``url`` to the newest schema."""
    with Database(url) as database:
        database.migrate()


def _shown(url: str | URL) -> str:
    """Return ``url`` for a message, without its password when it can be parsed."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(str(url))


def _normalised_url(url: str | URL) -> URL:
    parsed = make_url(url)
    # A bare postgresql:// would select psycopg2, which is not a dependency.
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _create_engine(url: URL, *, echo: bool) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    if in_memory:
        # Each connection to ":memory:" would see its own empty database, so share one.
        engine = create_engine(
            url,
            echo=echo,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
    else:
        if not database.startswith("file:"):
            _create_folder(url, Path(database).parent)
        engine = create_engine(url, echo=echo, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT})
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _create_folder(url: URL, folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise Unavailable(
            url.render_as_string(hide_password=True), f"cannot create folder {folder}: {error}"
        ) from error


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # SQLite leaves foreign keys unchecked unless each connection turns them on.
        cursor.execute("PRAGMA foreign_keys=ON")
        # Write-ahead logging lets readers proceed while one writer commits.
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL keeps every committed transaction through a crash or kill of
        # the process; only an operating-system crash or power cut can lose the last ones.
        # FULL would add an fsync to each commit, which costs milliseconds on every live
        # edit (bench/sqlite_commit.py; docs/benchmarks.md). PostgreSQL, the production
        # database, keeps its own synchronous commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
