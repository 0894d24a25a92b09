"""Branding of an export: the colour scheme and an optional, already checked logo."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from exports.palettes import Palette


@dataclass(frozen=True, slots=True)
class Logo:
    """A logo image that passed the checks in exports.logos."""

    content_type: str
    data: bytes

    @property
    def is_raster(self) -> bool:
        return self.content_type in ("image/png", "image/jpeg")

    def data_url(self) -> str:
        return f"data:{self.content_type};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True, slots=True)
class Branding:
    palette: Palette
    logo: Logo | None = None
