"""``pmr token create``."""

from __future__ import annotations

from config import Settings
from deployments.auth import Role, token_service
from storage import Database, UserRepository, UserRole


def create_token(settings: Settings, email: str, role: str) -> str:
    """Record the user and return a bearer token for them."""
    database = Database(settings.sqlalchemy_url)
    try:
        database.migrate()
        UserRepository(database).get_or_create(email, UserRole(role))
    finally:
        database.dispose()
    return token_service(settings).issue(email, Role(role))
