"""Project documents for retrieval: upload text, Markdown or PDF, list and search them."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse

from deployments.auth import Role
from deployments.dependencies import Editor, ServicesDep, Viewer
from deployments.errors import PayloadTooLargeError, UnprocessableError, UnsupportedMediaError
from deployments.schemas_assistant import DocumentBody, PassageHit, SearchResult
from deployments.services import Services
from deployments.uploads import upload_name
from knowledge import DocumentFormatError, ProjectLibrary
from storage.repositories.knowledge import DocumentRecord

router = APIRouter(prefix="/api/projects", tags=["documents"])

_CHUNK = 1024 * 1024


def project_library(request: Request, services: Services) -> ProjectLibrary:
    """Return the application's library, created on first use so its index cache is shared."""
    state = request.app.state
    library: ProjectLibrary | None = getattr(state, "project_library", None)
    if library is None:
        library = ProjectLibrary(services.database)
        state.project_library = library
    return library


def _body(record: DocumentRecord) -> DocumentBody:
    return DocumentBody(
        document_id=record.id,
        project_id=record.project_id,
        name=record.name,
        media_type=record.media_type,
        characters=record.characters,
        passages=record.passages,
        created_by=record.created_by,
        created_at=record.created_at,
    )


async def _read(upload: UploadFile, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(
                f"the document {upload.filename!r} exceeds the limit of {limit:,} bytes; "
                "split it or raise PMR_MAX_UPLOAD_BYTES",
                code="file_too_large",
            )
        parts.append(chunk)
    return b"".join(parts)


@router.post(
    "/{project_id}/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentBody,
    summary="Upload a text, Markdown or PDF document for retrieval",
)
async def upload_document(
    project_id: uuid.UUID,
    file: UploadFile,
    request: Request,
    services: ServicesDep,
    caller: Editor,
) -> JSONResponse:
    await asyncio.to_thread(services.projects.summary, project_id)
    name = upload_name(file, "document.txt")[:300]
    data = await _read(file, services.settings.max_upload_bytes)
    library = project_library(request, services)
    try:
        record = await asyncio.to_thread(
            library.add_document, project_id, name, data, created_by=caller.email
        )
    except DocumentFormatError as error:
        kind = UnsupportedMediaError if "unsupported type" in error.detail else UnprocessableError
        raise kind(str(error), code="invalid_document") from error
    return JSONResponse(
        _body(record).model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED,
        headers={"Location": f"/api/projects/{project_id}/documents"},
    )


@router.get(
    "/{project_id}/documents",
    response_model=list[DocumentBody],
    summary="The project's uploaded documents, oldest first",
)
async def list_documents(
    project_id: uuid.UUID, request: Request, services: ServicesDep, _: Viewer
) -> list[DocumentBody]:
    await asyncio.to_thread(services.projects.summary, project_id)
    records = await asyncio.to_thread(project_library(request, services).documents, project_id)
    return [_body(record) for record in records]


@router.get(
    "/{project_id}/documents/search",
    response_model=SearchResult,
    summary="Search the project's documents, activities, risks and reports",
)
async def search_documents(
    project_id: uuid.UUID,
    request: Request,
    services: ServicesDep,
    caller: Viewer,
    q: str = Query(min_length=1, max_length=1000),
    k: int = Query(default=5, ge=1, le=50),
) -> SearchResult:
    await asyncio.to_thread(services.projects.summary, project_id)
    library = project_library(request, services)
    index = await asyncio.to_thread(library.index, project_id)
    # Reports whose collaboration session leaves the caller out are not searched.
    closed = await asyncio.to_thread(
        library.closed_to, project_id, caller.email, is_admin=caller.role is Role.ADMIN
    )
    hits = index.search(q, k=k, hidden=closed)
    return SearchResult(
        query=q,
        passages=[PassageHit(score=hit.score, **hit.passage.citation()) for hit in hits],
    )
