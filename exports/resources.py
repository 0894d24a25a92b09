"""The only resources a PDF may load: inline data and the shipped fonts.

WeasyPrint would otherwise fetch any URL a document names: local files through file:,
services on private or loopback addresses, and whatever a redirect points at. Exports
embed everything they need (charts as inline SVG, logos as data URLs checked beforehand),
so this fetcher rejects every other scheme, follows no redirect, and stops the rendering
on the first rejected URL instead of leaving a gap in the file.
"""

from __future__ import annotations

import logging
from typing import Any

from weasyprint.urls import URLFetcher, URLFetcherResponse

from exports.fonts import FONT_SCHEME, font_bytes

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("data", FONT_SCHEME)


class LockedFetcher(URLFetcher):  # type: ignore[misc]
    """A WeasyPrint fetcher for data: URLs and the shipped fonts only."""

    def __init__(self) -> None:
        super().__init__(
            timeout=1, allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True
        )
        self.rejected: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == FONT_SCHEME:
            name = url.split(":", 1)[1]
            return URLFetcherResponse(url, font_bytes(name), {"Content-Type": "font/ttf"})
        if scheme != "data":
            self.rejected.append(url[:200])
            logger.warning("export rendering rejected the URL %.200s", url)
            raise ValueError(
                f"the export may only load data: URLs and shipped fonts, not {url[:200]!r}"
            )
        return super().fetch(url, headers)
