"""A template's export styling: colour scheme, page, type size, cover and contents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exports.errors import OptionsError
from exports.palettes import DEFAULT_PALETTE, palette

PAGE_SIZES = ("A4", "Letter", "A3")
ORIENTATIONS = ("portrait", "landscape")
FONT_SIZES_PT = range(8, 15)


@dataclass(frozen=True, slots=True)
class Styling:
    """How a template wants its exports to look; every format reads the same values."""

    color_scheme: str = DEFAULT_PALETTE
    page_size: str = "A4"
    orientation: str = "portrait"
    font_size_pt: int = 10
    cover: bool = True
    table_of_contents: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "color_scheme": self.color_scheme,
            "page_size": self.page_size,
            "orientation": self.orientation,
            "font_size_pt": self.font_size_pt,
            "cover": self.cover,
            "table_of_contents": self.table_of_contents,
        }


def _choice(values: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = values.get(key, default)
    if value not in allowed:
        raise OptionsError(f"styling {key} {value!r} is invalid; use one of {', '.join(allowed)}")
    return str(value)


def _flag(values: Mapping[str, Any], key: str, default: bool) -> bool:
    value = values.get(key, default)
    if not isinstance(value, bool):
        raise OptionsError(f"styling {key} must be true or false, got {value!r}")
    return value


def parse_styling(values: Mapping[str, Any]) -> Styling:
    """Check a template's styling and fill in the defaults for keys it leaves out.

    Raises:
        OptionsError: an unknown key or a value outside its range.
    """
    unknown = sorted(set(values) - set(Styling.__dataclass_fields__))
    if unknown:
        known = ", ".join(Styling.__dataclass_fields__)
        raise OptionsError(f"styling keys {', '.join(unknown)} are unknown; use {known}")
    scheme = str(values.get("color_scheme", DEFAULT_PALETTE))
    palette(scheme)
    size = values.get("font_size_pt", 10)
    if isinstance(size, bool) or not isinstance(size, int) or size not in FONT_SIZES_PT:
        raise OptionsError(
            f"styling font_size_pt {size!r} is invalid; use a whole number from "
            f"{FONT_SIZES_PT.start} to {FONT_SIZES_PT.stop - 1}"
        )
    return Styling(
        color_scheme=scheme,
        page_size=_choice(values, "page_size", PAGE_SIZES, "A4"),
        orientation=_choice(values, "orientation", ORIENTATIONS, "portrait"),
        font_size_pt=size,
        cover=_flag(values, "cover", True),
        table_of_contents=_flag(values, "table_of_contents", True),
    )
