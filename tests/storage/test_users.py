"""UserRepository on both backends."""

from __future__ import annotations

import re
import uuid

import pytest

from storage import Database, InvalidData, NotFound, UserRepository, UserRole


def test_get_or_create_creates_then_returns_same_user(database: Database) -> None:
    users = UserRepository(database)

    created = users.get_or_create("Ada.Lovelace@Example.com ", UserRole.EDITOR)
    again = users.get_or_create("ada.lovelace@example.com", UserRole.ADMIN)

    assert created.email == "ada.lovelace@example.com"
    assert created.role is UserRole.EDITOR
    assert again == created


def test_get_by_email_ignores_case(database: Database) -> None:
    users = UserRepository(database)
    created = users.get_or_create("viewer@example.com", UserRole.VIEWER)

    found = users.get_by_email("VIEWER@example.COM")

    assert found == created
    assert users.get(created.id) == created


def test_get_by_email_unknown_raises_not_found(database: Database) -> None:
    with pytest.raises(NotFound, match=re.escape("nobody@example.com")):
        UserRepository(database).get_by_email("nobody@example.com")


def test_get_unknown_id_raises_not_found(database: Database) -> None:
    with pytest.raises(NotFound):
        UserRepository(database).get(uuid.uuid4())


@pytest.mark.parametrize("email", ["", "no-at-sign", "@example.com", "a b@example.com"])
def test_get_or_create_rejects_invalid_email(database: Database, email: str) -> None:
    with pytest.raises(InvalidData, match="invalid"):
        UserRepository(database).get_or_create(email, UserRole.VIEWER)


@pytest.mark.parametrize(
    ("email", "point"),
    [("ann\u200b@example.com", "U+200B"), ("ann@exa\u0007mple.com", "U+0007")],
    ids=["zero-width space", "control"],
)
def test_invisible_character_in_email_is_named(database: Database, email: str, point: str) -> None:
    with pytest.raises(InvalidData, match=re.escape(point)):
        UserRepository(database).get_or_create(email, UserRole.VIEWER)
