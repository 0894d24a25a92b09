from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from config import Settings
from deployments.auth import Role, TokenService, token_secret
from deployments.errors import AuthenticationError

SECRET = "s" * 40


def test_issued_token_verifies_to_its_principal() -> None:
    tokens = TokenService(SECRET, timedelta(hours=1))

    principal = tokens.verify(tokens.issue("pm@example.com", Role.PROJECT_MANAGER))

    assert principal.email == "pm@example.com"
    assert principal.role is Role.PROJECT_MANAGER


def test_expired_token_is_rejected() -> None:
    tokens = TokenService(SECRET, timedelta(minutes=5))
    token = tokens.issue("pm@example.com", Role.VIEWER, now=datetime.now(UTC) - timedelta(hours=1))

    with pytest.raises(AuthenticationError, match="expired"):
        tokens.verify(token)


def test_forged_token_is_rejected() -> None:
    forger = TokenService("f" * 40, timedelta(hours=1))
    tokens = TokenService(SECRET, timedelta(hours=1))

    with pytest.raises(AuthenticationError, match="signature"):
        tokens.verify(forger.issue("pm@example.com", Role.ADMIN))


def test_unsigned_token_is_rejected() -> None:
    tokens = TokenService(SECRET, timedelta(hours=1))
    claims = {"sub": "x@example.com", "role": "admin", "iss": "enhanced-pmr", "exp": 4102444800}
    unsigned = jwt.encode(claims, key="", algorithm="none")

    with pytest.raises(AuthenticationError, match="invalid"):
        tokens.verify(unsigned)


def test_garbage_token_is_named_not_a_jwt() -> None:
    tokens = TokenService(SECRET, timedelta(hours=1))

    with pytest.raises(AuthenticationError, match="not a JWT") as raised:
        tokens.verify("garbage")

    assert "pmr token create" in str(raised.value)


def test_unknown_role_is_rejected() -> None:
    claims = {"sub": "x@example.com", "role": "owner", "iss": "enhanced-pmr", "exp": 4102444800}
    token = jwt.encode(claims, SECRET, algorithm="HS256")

    with pytest.raises(AuthenticationError, match="unknown role 'owner'"):
        TokenService(SECRET, timedelta(hours=1)).verify(token)


@pytest.mark.parametrize(
    ("held", "required", "allowed"),
    [
        pytest.param(Role.ADMIN, Role.PROJECT_MANAGER, True, id="admin-over-pm"),
        pytest.param(Role.EDITOR, Role.EDITOR, True, id="editor-equal"),
        pytest.param(Role.VIEWER, Role.EDITOR, False, id="viewer-under-editor"),
        pytest.param(Role.EDITOR, Role.PROJECT_MANAGER, False, id="editor-under-pm"),
    ],
)
def test_role_includes_weaker_roles(held: Role, required: Role, allowed: bool) -> None:
    assert held.includes(required) is allowed


def test_secret_is_generated_once_into_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    first = token_secret(settings)
    second = token_secret(settings)

    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o777 == 0o600
