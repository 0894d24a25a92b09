"""The fonts shipped with the exports, so a PDF looks the same on every machine.

DejaVu Sans (regular and bold, Bitstream Vera licence, see fonts/LICENSE-DejaVu.txt)
covers Latin, Greek, Cyrillic and common symbols. The PDF loads it through the
``pmr-font:`` URL scheme, which only the export fetcher serves, and text is passed through
``covered`` first, so a character the font lacks prints as U+FFFD from the same font
instead of a system fallback font that may differ between machines.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_SCHEME = "pmr-font"
FAMILY = "PMR Sans"
FONT_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
REPLACEMENT = "\ufffd"


def font_url(name: str) -> str:
    return f"{FONT_SCHEME}:{name}"


def font_bytes(name: str) -> bytes:
    """Return a shipped font file by its file name.

    Raises:
        FileNotFoundError: ``name`` is not one of the shipped fonts.
    """
    if name not in FONT_FILES.values():
        raise FileNotFoundError(f"{name!r} is not a shipped font; expected {FONT_FILES}")
    return _read(name)


@lru_cache(maxsize=4)
def _read(name: str) -> bytes:
    return (FONT_DIR / name).read_bytes()


@lru_cache(maxsize=1)
def covered_code_points() -> frozenset[int]:
    """Return the code points every shipped weight has a glyph for."""
    sets = []
    for name in FONT_FILES.values():
        font = TTFont(FONT_DIR / name, lazy=True)
        try:
            sets.append(frozenset(font.getBestCmap()))
        finally:
            font.close()
    return frozenset.intersection(*sets)


def covered(text: str) -> str:
    """Return ``text`` with characters the shipped fonts lack replaced by U+FFFD.

    Line breaks, tabs and other whitespace stay, because layout handles them.
    """
    points = covered_code_points()
    if all(ord(char) in points or char.isspace() for char in text):
        return text
    return "".join(char if ord(char) in points or char.isspace() else REPLACEMENT for char in text)


def font_face_css() -> str:
    """Return the @font-face rules that bind the shipped files to the family name."""
    return "\n".join(
        f'@font-face {{ font-family: "{FAMILY}"; font-weight: {weight}; '
        f'src: url("{font_url(name)}"); }}'
        for weight, name in (("normal", FONT_FILES["regular"]), ("bold", FONT_FILES["bold"]))
    )
