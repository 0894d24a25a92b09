"""Logo checks that need no server."""

from __future__ import annotations

import pytest

from exports.errors import LogoError
from exports.logos import check_logo


def test_unreadable_png_message_names_no_python_object() -> None:
    with pytest.raises(LogoError) as raised:
        check_logo(b"\x89PNG\r\n\x1a\n", 1024)

    message = str(raised.value)
    assert "not a readable image/png image" in message
    assert "BytesIO" not in message
