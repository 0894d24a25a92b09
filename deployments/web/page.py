"""The collaboration page: ``GET /app/reports/{report_id}`` and its script and style sheet.

The page is a static shell. Its script, built from ``src/`` with esbuild by ``make page``,
reads everything from the report's Yjs document over the collaboration WebSocket. That
socket checks the bearer token, which the page address carries as ``?token=``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from deployments.errors import NotFoundError

router = APIRouter(prefix="/app", include_in_schema=False)

_HERE = Path(__file__).resolve().parent
_STATIC = _HERE / "static"
_MEDIA_TYPES = {
    "editor.js": "text/javascript; charset=utf-8",
    "editor.css": "text/css; charset=utf-8",
    "THIRD-PARTY-NOTICES.txt": "text/plain; charset=utf-8",
}
# Scripts, styles and sockets from this server only; the token never leaves it.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/reports/{report_id}", response_class=HTMLResponse)
async def report_page(report_id: uuid.UUID) -> HTMLResponse:
    """Return the page that co-edits the report; its data comes over the WebSocket."""
    template = (_HERE / "page.html").read_text(encoding="utf-8")
    return HTMLResponse(template.replace("{report_id}", str(report_id)), headers=_SECURITY_HEADERS)


@router.get("/static/{name}")
async def static_file(name: str) -> FileResponse:
    """Return one of the page's files; any other name is not found."""
    media_type = _MEDIA_TYPES.get(name)
    if media_type is None:
        raise NotFoundError(
            f"no page file named {name!r}; expected one of {', '.join(sorted(_MEDIA_TYPES))}",
            code="not_found",
        )
    return FileResponse(
        _STATIC / name, media_type=media_type, headers={"Cache-Control": "no-cache"}
    )
