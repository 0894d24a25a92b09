"""Signed, expiring download links of exports.

A link names the report, the export and its expiry, signed with HMAC-SHA256 under a key
derived from the token secret, so every replica that verifies bearer tokens also
verifies links. The download still requires a bearer token with rights on the report:
the signature limits how long a link works, the token decides who may use it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from urllib.parse import urlencode

from deployments.errors import PermissionDeniedError

_LABEL = b"enhanced-pmr export download links"


class LinkSigner:
    """Signs and verifies download links of one key and lifetime."""

    def __init__(self, token_secret: str, ttl_seconds: int) -> None:
        self._key = hmac.new(token_secret.encode(), _LABEL, hashlib.sha256).digest()
        self._ttl = ttl_seconds

    def _signature(self, report_id: uuid.UUID, export_id: uuid.UUID, expires: int) -> str:
        message = f"{report_id}:{export_id}:{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def url(self, report_id: uuid.UUID, export_id: uuid.UUID, now: float | None = None) -> str:
        """Return a download path valid for the configured lifetime from ``now``."""
        expires = int((now if now is not None else time.time()) + self._ttl)
        query = urlencode(
            {"expires": expires, "signature": self._signature(report_id, export_id, expires)}
        )
        return f"/api/reports/pmr/{report_id}/exports/{export_id}/download?{query}"

    def verify(
        self, report_id: uuid.UUID, export_id: uuid.UUID, expires: int, signature: str
    ) -> None:
        """Raise PermissionDeniedError unless the signature matches and has not expired."""
        expected = self._signature(report_id, export_id, expires)
        # Bytes, because compare_digest raises TypeError on a str with non-ASCII characters.
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise PermissionDeniedError(
                "the download link's signature is invalid; request a new link from the job",
                code="download_link_invalid",
            )
        if time.time() > expires:
            raise PermissionDeniedError(
                "the download link has expired; GET the export job again for a fresh link",
                code="download_link_expired",
            )
