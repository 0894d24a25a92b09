"""Exception handlers that answer every error as RFC 9457 problem details."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from ray.exceptions import RayActorError
from starlette.exceptions import HTTPException as StarletteHTTPException

from actors.errors import ActorError, root_cause
from crdt import CommentNotFoundError, DocumentError, SectionNotFoundError
from deployments.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnprocessableError,
    UnsupportedMediaError,
    UpgradeRequiredError,
)
from schedules import ScheduleImportError
from storage import (
    Conflict,
    IntegrityError,
    InvalidData,
    NotFound,
    StorageError,
    Unavailable,
)

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# Import failures that are about the file's size or kind rather than its content.
_IMPORT_STATUS = {
    "file_too_large": PayloadTooLargeError,
    "unsupported_format": UnsupportedMediaError,
}


def problem_response(
    error: ApiError, request: Request, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    sent = dict(headers or {})
    if isinstance(error, AuthenticationError):
        sent["WWW-Authenticate"] = "Bearer"
    elif isinstance(error, UpgradeRequiredError):
        # RFC 9110 (status 426): a 426 response must name the protocol in an Upgrade header.
        sent["Upgrade"] = "websocket"
    return JSONResponse(
        error.problem(instance=request.url.path),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=sent or None,
    )


def _field_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    fields = []
    for item in error.errors():
        parts = item.get("loc", ())
        message = item.get("msg", "invalid value")
        if item.get("type") == "json_invalid" and len(parts) == 2:
            # FastAPI puts the character offset of a JSON syntax error where a field goes.
            reason = (item.get("ctx") or {}).get("error")
            detail = f" ({reason})" if reason else ""
            message = f"{message}{detail} after {parts[1]} characters of the body"
            parts = parts[:1]
        fields.append({"field": ".".join(str(part) for part in parts), "message": message})
    return fields


def _content_type_error(error: RequestValidationError, content_type: str) -> dict[str, str] | None:
    """Return the field error to report when the body went unread for its Content-Type.

    FastAPI reads a JSON body only when the request declares JSON, and a form field only
    from a form. curl -d sends application/x-www-form-urlencoded unless -H sets another.
    """
    sent = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
    if _has_error(error, ("body", "file"), "missing") and not content_type.startswith(
        "multipart/form-data"
    ):
        expected = "the file as a multipart/form-data field named 'file' (curl -F file=@PATH)"
        return {"field": "body.file", "message": f"expected {expected}, got {sent}"}
    if _has_error(error, ("body",), "model_attributes_type") and "json" not in content_type:
        expected = "a JSON object with Content-Type application/json"
        return {"field": "body", "message": f"expected {expected}, got {sent}"}
    return None


def _has_error(error: RequestValidationError, location: tuple[str, ...], kind: str) -> bool:
    return any(
        tuple(item.get("loc", ())) == location and item.get("type") == kind
        for item in error.errors()
    )


async def _api_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return problem_response(error, request)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    unread = _content_type_error(error, request.headers.get("content-type", ""))
    fields = [unread] if unread is not None else _field_errors(error)
    summary = "; ".join(f"{item['field']}: {item['message']}" for item in fields)
    problem = UnprocessableError(
        f"the request is invalid: {summary}", code="validation_failed", errors=fields
    )
    return problem_response(problem, request)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = str(error.detail)
    if error.status_code == 404 and detail == "Not Found":
        # Starlette's text when no route matches the path at all.
        detail = f"no endpoint at {request.url.path}; /openapi.json lists the API's paths"
    allowed = (error.headers or {}).get("Allow")
    if error.status_code == 405 and allowed:
        detail = f"{request.method} is not allowed at {request.url.path}; it takes {allowed}"
    problem = ApiError(detail, code=f"http_{error.status_code}")
    problem.status = error.status_code
    problem.title = "HTTP error"
    # RFC 9110 (status 405): the response must list the allowed methods in an Allow header.
    return problem_response(problem, request, error.headers)


async def _import_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ScheduleImportError)
    kind = _IMPORT_STATUS.get(error.code, UnprocessableError)
    return problem_response(kind(error.detail, code=error.code), request)


async def _document_error(request: Request, error: Exception) -> JSONResponse:
    cause = root_cause(error)
    if isinstance(cause, SectionNotFoundError):
        return problem_response(NotFoundError(str(cause), code="section_not_found"), request)
    if isinstance(cause, CommentNotFoundError):
        return problem_response(NotFoundError(str(cause), code="comment_not_found"), request)
    return problem_response(UnprocessableError(str(cause), code="invalid_edit"), request)


async def _storage_error(request: Request, raised: Exception) -> JSONResponse:
    error = root_cause(raised)
    if isinstance(error, NotFound):
        return problem_response(NotFoundError(str(error), code="not_found"), request)
    if isinstance(error, InvalidData | IntegrityError):
        return problem_response(UnprocessableError(str(error), code="invalid_data"), request)
    if isinstance(error, Conflict):
        return problem_response(ConflictError(str(error), code="conflict"), request)
    if isinstance(error, Unavailable):
        logger.warning("database unavailable while serving %s: %s", request.url.path, error)
        return problem_response(
            ServiceUnavailableError(str(error), code="database_unavailable"), request
        )
    logger.error("storage failed while serving %s", request.url.path, exc_info=error)
    return problem_response(_internal(), request)


def _internal() -> ApiError:
    problem = ApiError(
        "the server failed to handle the request; it was logged", code="internal_error"
    )
    problem.status = 500
    problem.title = "Internal server error"
    return problem


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    cause = root_cause(error)
    if cause is not error and isinstance(cause, StorageError | DocumentError):
        handler = _storage_error if isinstance(cause, StorageError) else _document_error
        return await handler(request, cause)
    if isinstance(error, RayActorError) or isinstance(cause, ActorError):
        logger.warning("report actor unavailable while serving %s: %s", request.url.path, error)
        problem = ServiceUnavailableError(
            "the report's actor is restarting; retry in a moment", code="report_unavailable"
        )
        return problem_response(problem, request)
    logger.error("unhandled error while serving %s", request.url.path, exc_info=error)
    return problem_response(_internal(), request)


# Statuses any operation may answer with a problem: authentication, role or participant
# checks, unknown ids, state conflicts, invalid input, rate limits and server failures.
_PROBLEM_STATUSES = {
    "401": "Missing, expired or invalid bearer token",
    "403": "The caller's role or permission does not allow this",
    "404": "Not found",
    "409": "Conflicts with the resource's current state",
    "422": "Invalid request",
    "429": "Rate limit exceeded",
    "500": "Internal server error",
    "503": "A dependency (database, report actor) is unavailable",
}
# Statuses of operations that take a request body.
_BODY_PROBLEM_STATUSES = {
    "400": "The request body could not be parsed",
    "413": "Request body too large",
    "415": "Unsupported media type",
}
_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; extension members such as errors may follow.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _document_problems(schema: dict[str, Any]) -> None:
    """Declare the problem+json error responses on every operation of an OpenAPI schema.

    FastAPI documents only the success response and a 422 as application/json, while the
    handlers here answer every error as application/problem+json.
    """
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = _PROBLEM_SCHEMA
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            statuses = dict(_PROBLEM_STATUSES)
            if "requestBody" in operation:
                statuses.update(_BODY_PROBLEM_STATUSES)
            for status, description in statuses.items():
                if status == "422" or status not in responses:
                    responses[status] = {"description": description, "content": content}


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error as problem details, and declare those responses in /openapi.json."""
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document_problems(generate_openapi())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ScheduleImportError, _import_error)
    app.add_exception_handler(DocumentError, _document_error)
    app.add_exception_handler(StorageError, _storage_error)
    app.add_exception_handler(Exception, _unexpected)
