"""FastAPI dependencies: the replica's services and the authenticated caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deployments.auth import Principal, Role
from deployments.errors import AuthenticationError, PermissionDeniedError
from deployments.services import Services

_bearer = HTTPBearer(auto_error=False, description="JWT issued by `pmr token create`.")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def authenticate(
    services: Annotated[Services, Depends(get_services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise AuthenticationError(
            "missing bearer token: send 'Authorization: Bearer <token>'; "
            "`pmr token create` issues one",
            code="missing_token",
        )
    return services.tokens.verify(credentials.credentials)


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """Return a dependency that admits callers holding ``role`` or a stronger one."""

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.role.includes(role):
            raise PermissionDeniedError(
                f"this operation needs the role {role.value} or higher; "
                f"{principal.email} has {principal.role.value}",
                code="role_too_weak",
            )
        return principal

    return check


ServicesDep = Annotated[Services, Depends(get_services)]
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Editor = Annotated[Principal, Depends(require(Role.EDITOR))]
ProjectManager = Annotated[Principal, Depends(require(Role.PROJECT_MANAGER))]
