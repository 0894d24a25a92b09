"""Logos for exports: uploads, their cleaned copies, and the logo an export request names."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from config import Settings
from deployments.dependencies import Editor, ServicesDep, Viewer
from deployments.errors import (
    ApiError,
    PayloadTooLargeError,
    UnprocessableError,
    UnsupportedMediaError,
)
from deployments.routes.audit import record_audit
from deployments.services import Services
from deployments.uploads import upload_name
from exports import (
    ExportError,
    Logo,
    LogoTooLargeError,
    LogoTypeError,
    RemotePolicy,
    UrlPolicyError,
    check_logo,
    fetch_logo_bytes,
    logo_from_data_url,
)
from storage import AuditEvent, AuditTarget, LogoRepository

logger = logging.getLogger(__name__)

router = APIRouter(tags=["branding"])

# A stored SVG is served as a file to look at, never as a page that runs anything.
_LOGO_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=3600",
}


class BrandingOptions(BaseModel):
    """The ``options.branding`` object of an export request."""

    model_config = ConfigDict(extra="forbid")

    logo_url: str | None = Field(
        default=None,
        max_length=2_000_000,
        description="A data: URL, or an https URL on a host of PMR_EXPORT_LOGO_HOSTS.",
    )
    logo_id: uuid.UUID | None = Field(default=None, description="An uploaded logo's id.")
    color_scheme: str | None = Field(default=None, max_length=64)


def remote_policy(settings: Settings) -> RemotePolicy:
    """Return the logo URL policy of these settings."""
    hosts = frozenset(
        host.strip().lower() for host in settings.export_logo_hosts.split(",") if host.strip()
    )
    return RemotePolicy(
        hosts, settings.export_logo_max_bytes, settings.export_logo_timeout_seconds
    )


def logo_problem(error: ExportError) -> ApiError:
    """Return the HTTP problem of a rejected logo: 413 too large, 415 wrong type, else 422."""
    if isinstance(error, LogoTooLargeError):
        return PayloadTooLargeError(error.message, code="logo_too_large")
    if isinstance(error, LogoTypeError):
        return UnsupportedMediaError(error.message, code="logo_type")
    if isinstance(error, UrlPolicyError):
        return UnprocessableError(error.message, code="logo_rejected", reason=error.reason)
    return UnprocessableError(error.message, code="logo_rejected")


async def resolve_logo(services: Services, branding: BrandingOptions) -> Logo | None:
    """Return the checked logo an export request names, or None when it names none.

    Raises:
        ApiError: both an id and a URL, an unknown id, or a logo the checks reject.
    """
    if branding.logo_id is not None and branding.logo_url is not None:
        raise UnprocessableError(
            "give either logo_id or logo_url, not both", code="logo_ambiguous"
        )
    limit = services.settings.export_logo_max_bytes
    try:
        if branding.logo_id is not None:
            stored = await asyncio.to_thread(
                LogoRepository(services.database).get, branding.logo_id
            )
            return Logo(stored.content_type, stored.data)
        if branding.logo_url is None:
            return None
        if branding.logo_url.lstrip().lower().startswith("data:"):
            return logo_from_data_url(branding.logo_url, limit)
        policy = remote_policy(services.settings)
        data = await asyncio.to_thread(fetch_logo_bytes, branding.logo_url, policy)
        return check_logo(data, limit)
    except ExportError as error:
        logger.info("export logo rejected: %s", error)
        raise logo_problem(error) from error


@router.post(
    "/api/branding/logos",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a logo (PNG, JPEG or SVG) for exports; SVG is cleaned",
)
async def upload_logo(
    services: ServicesDep, caller: Editor, file: Annotated[UploadFile, File()]
) -> dict[str, object]:
    limit = services.settings.export_logo_max_bytes
    name = upload_name(file, "logo")[:200]
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(
            f"the logo is over the limit of {limit:,} bytes (PMR_EXPORT_LOGO_MAX_BYTES); "
            "upload a smaller image",
            code="logo_too_large",
        )
    try:
        logo = check_logo(data, limit)
    except ExportError as error:
        raise logo_problem(error) from error
    stored = await asyncio.to_thread(
        LogoRepository(services.database).add,
        content_type=logo.content_type,
        data=logo.data,
        sha256=hashlib.sha256(logo.data).hexdigest(),
        file_name=name,
        uploaded_by=caller.email,
    )
    logger.info("logo %s (%s) uploaded by %s", stored.id, stored.content_type, caller.email)
    await record_audit(
        services,
        AuditEvent(
            actor=caller.email,
            action="logo_uploaded",
            target_type=AuditTarget.LOGO,
            target_id=str(stored.id),
            after_hash=stored.sha256,
            detail={"content_type": stored.content_type, "size_bytes": stored.size_bytes},
        ),
    )
    return {
        "logo_id": str(stored.id),
        "content_type": stored.content_type,
        "size_bytes": stored.size_bytes,
        "sha256": stored.sha256,
    }


@router.get(
    "/api/branding/logos/{logo_id}",
    summary="An uploaded logo as stored: re-encoded, or for SVG cleaned",
    response_class=Response,
)
async def get_logo(logo_id: uuid.UUID, services: ServicesDep, _: Viewer) -> Response:
    stored = await asyncio.to_thread(LogoRepository(services.database).get, logo_id)
    return Response(stored.data, media_type=stored.content_type, headers=_LOGO_HEADERS)
