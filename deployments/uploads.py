"""File names of multipart uploads, checked before anything stores them."""

from __future__ import annotations

import unicodedata

from fastapi import UploadFile

from deployments.errors import UnprocessableError


def upload_name(upload: UploadFile, default: str) -> str:
    """Return the name the client gave ``upload``, or ``default`` when it gave none.

    Raises:
        UnprocessableError: the name contains a control character. PostgreSQL refuses NUL in
            text, and the others would garble listings, exports and log lines.
    """
    name = upload.filename or default
    controls = sorted(
        {f"U+{ord(char):04X}" for char in name if unicodedata.category(char) == "Cc"}
    )
    if controls:
        raise UnprocessableError(
            f"the file name {name!r} contains control characters ({', '.join(controls)}); "
            "rename the file",
            code="invalid_file_name",
        )
    return name
