"""Database: engine set-up per backend, transactions and error translation."""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select, text

from storage import Conflict, Database, InvalidData, Unavailable, UserRepository, UserRole
from storage.database import alembic_config, migrate
from storage.models import UserRow


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _user_values(email: str) -> dict[str, object]:
    from storage.models.base import utc_now

    return {"id": uuid.uuid4(), "email": email, "role": "viewer", "created_at": utc_now()}


def _user_count(database: Database) -> int:
    with database.session() as session:
        return session.execute(select(func.count()).select_from(UserRow)).scalar_one()


def test_sqlite_creates_folder_and_enables_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "pmr.sqlite3"

    with Database(f"sqlite:///{path}") as database, database.engine.connect() as connection:
        foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar_one()
        journal_mode = connection.execute(text("PRAGMA journal_mode")).scalar_one()

    assert path.parent.is_dir()
    assert foreign_keys == 1
    assert journal_mode == "wal"


def test_sqlite_in_memory_database_is_shared(tmp_path: Path) -> None:
    with Database("sqlite://") as database:
        database.migrate()

        created = UserRepository(database).get_or_create("a@example.com", UserRole.ADMIN)

        assert UserRepository(database).get(created.id) == created


def test_sqlite_folder_that_cannot_be_created_raises_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    with pytest.raises(Unavailable, match="cannot create folder"):
        Database(f"sqlite:///{blocker / 'pmr.sqlite3'}")


def test_bare_postgresql_url_selects_psycopg() -> None:
    with Database("postgresql://user:secret@127.0.0.1:5432/pmr") as database:
        driver = database.engine.dialect.driver
        shown = database.url

    assert driver == "psycopg"
    assert "secret" not in shown


def test_session_commits_on_success(database: Database) -> None:
    with database.session() as session:
        session.execute(insert(UserRow), [_user_values("kept@example.com")])

    assert _user_count(database) == 1


def _insert_then_fail(database: Database) -> None:
    with database.session() as session:
        session.execute(insert(UserRow), [_user_values("dropped@example.com")])
        raise RuntimeError("abort")


def test_session_rolls_back_on_error(database: Database) -> None:
    with pytest.raises(RuntimeError, match="abort"):
        _insert_then_fail(database)

    assert _user_count(database) == 0


def test_duplicate_key_raises_conflict_with_cause(database: Database) -> None:
    with database.session() as session:
        session.execute(insert(UserRow), [_user_values("twice@example.com")])

    with pytest.raises(Conflict, match="nothing was stored") as raised, database.session() as s:
        s.execute(insert(UserRow), [_user_values("twice@example.com")])

    assert raised.value.__cause__ is not None
    assert _user_count(database) == 1


def test_unreachable_postgresql_raises_unavailable(tmp_path: Path) -> None:
    # A socket folder with no server in it fails at once, without touching the network.
    url = f"postgresql+psycopg://postgres@/test?host={tmp_path}"

    with Database(url) as database, pytest.raises(Unavailable) as raised:
        database.revision()

    assert raised.value.url.startswith("postgresql+psycopg://postgres@/test")
    assert "PMR_DATABASE_URL" in str(raised.value)


def test_pickled_database_opens_same_database(database: Database) -> None:
    UserRepository(database).get_or_create("pickled@example.com", UserRole.EDITOR)

    copy = pickle.loads(pickle.dumps(database))
    try:
        found = UserRepository(copy).get_by_email("pickled@example.com")
    finally:
        copy.dispose()

    assert copy.url == database.url
    assert found.role is UserRole.EDITOR


def test_migrate_function_upgrades_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"

    migrate(url)

    with Database(url) as database:
        assert database.revision() == head_revision()


@pytest.mark.parametrize("url", ["nosuchdb://localhost/x", "not a url"], ids=["dialect", "syntax"])
def test_invalid_url_raises_invalid_data(url: str) -> None:
    with pytest.raises(InvalidData, match="expected sqlite:///PATH"):
        Database(url)
