"""Errors of the HTTP layer and their RFC 9457 problem details."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered with an ``application/problem+json`` body.

    ``code`` is a stable slug clients can branch on; it also forms the problem ``type``.
    """

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or type(self).default_code()
        self.extensions = extensions

    @classmethod
    def default_code(cls) -> str:
        return cls.title.lower().replace(" ", "_")

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://enhanced-pmr.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class AuthenticationError(ApiError):
    status = 401
    title = "Unauthorized"


class PermissionDeniedError(ApiError):
    status = 403
    title = "Forbidden"


class NotFoundError(ApiError):
    status = 404
    title = "Not found"


class ConflictError(ApiError):
    status = 409
    title = "Conflict"


class PayloadTooLargeError(ApiError):
    status = 413
    title = "Payload too large"


class UpgradeRequiredError(ApiError):
    status = 426
    title = "Upgrade required"


class UnprocessableError(ApiError):
    status = 422
    title = "Unprocessable content"


class UnsupportedMediaError(ApiError):
    status = 415
    title = "Unsupported media type"


class ServiceUnavailableError(ApiError):
    status = 503
    title = "Service unavailable"


class TooManyRequestsError(ApiError):
    status = 429
    title = "Too many requests"
