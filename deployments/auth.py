"""Bearer tokens (JWT, HS256) and the role each endpoint requires."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import jwt

from config import Settings
from deployments.errors import AuthenticationError

logger = logging.getLogger(__name__)

ISSUER = "enhanced-pmr"
_ALGORITHM = "HS256"
_SECRET_FILE = "jwt-secret"


class Role(StrEnum):
    """Roles in increasing order of rights; each includes the rights of those before it."""

    VIEWER = "viewer"
    EDITOR = "editor"
    PROJECT_MANAGER = "project_manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def includes(self, required: Role) -> bool:
        return self.rank >= required.rank


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    email: str
    role: Role


class TokenService:
    """Issue and verify HS256 bearer tokens."""

    def __init__(self, secret: str, ttl: timedelta) -> None:
        if len(secret) < 32:
            raise ValueError("the token secret must be at least 32 characters long")
        self._secret = secret
        self._ttl = ttl

    def issue(self, email: str, role: Role, *, now: datetime | None = None) -> str:
        issued = now or datetime.now(UTC)
        claims = {
            "sub": email,
            "role": role.value,
            "iss": ISSUER,
            "iat": issued,
            "exp": issued + self._ttl,
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> Principal:
        """Return the token's principal.

        Raises:
            AuthenticationError: the token is malformed, forged, expired or names no
                known role.
        """
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=ISSUER,
                options={"require": ["sub", "role", "exp", "iss"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise AuthenticationError("the bearer token has expired; request a new one") from error
        except jwt.InvalidSignatureError as error:
            raise AuthenticationError(
                "the bearer token's signature is invalid: it was signed with another secret. "
                "Create tokens with the server's PMR_DATA_DIR or PMR_JWT_SECRET"
            ) from error
        except jwt.DecodeError as error:
            raise AuthenticationError(
                "the bearer token is not a JWT (three base64url parts separated by dots): "
                f"{error}; pass the token that `pmr token create` prints"
            ) from error
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"the bearer token is invalid: {error}") from error
        try:
            role = Role(claims["role"])
        except ValueError as error:
            raise AuthenticationError(
                f"the bearer token names an unknown role {claims['role']!r}"
            ) from error
        return Principal(email=str(claims["sub"]), role=role)


def token_secret(settings: Settings) -> str:
    """Return the configured secret, or the one generated into the data folder on first use."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = settings.data_dir / _SECRET_FILE
    if not path.exists():
        _create_secret_file(path)
    return path.read_text(encoding="ascii").strip()


def _create_secret_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL makes concurrent first starts agree on one secret: the loser reads the winner's.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    logger.info("generated a new token secret in %s", path)


def token_service(settings: Settings) -> TokenService:
    return TokenService(token_secret(settings), timedelta(hours=settings.token_ttl_hours))
