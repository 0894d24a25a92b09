"""Named colour schemes that branding picks from, as six-digit hex colours without '#'."""

from __future__ import annotations

from dataclasses import dataclass

from exports.errors import OptionsError


@dataclass(frozen=True, slots=True)
class Palette:
    """A colour scheme: headings and rules in ``primary``, chart series in ``series`` order."""

    name: str
    primary: str
    secondary: str
    accent: str
    text: str
    muted: str
    background: str
    series: tuple[str, ...]

    def css(self, colour: str) -> str:
        return f"#{colour}"


PALETTES = {
    palette.name: palette
    for palette in (
        Palette(
            name="corporate_blue",
            primary="1F4E79",
            secondary="2E75B6",
            accent="C55A11",
            text="1A1A1A",
            muted="6B7280",
            background="EEF3F9",
            series=("1F4E79", "C55A11", "548235", "7F6000", "7030A0", "2E75B6"),
        ),
        Palette(
            name="slate",
            primary="334155",
            secondary="64748B",
            accent="B45309",
            text="111827",
            muted="6B7280",
            background="F1F5F9",
            series=("334155", "B45309", "15803D", "1D4ED8", "9D174D", "64748B"),
        ),
        Palette(
            name="forest_green",
            primary="1E5631",
            secondary="4C9A2A",
            accent="A4161A",
            text="1A1A1A",
            muted="5F6B5F",
            background="EEF5EC",
            series=("1E5631", "A4161A", "2F6690", "C17C00", "6A4C93", "4C9A2A"),
        ),
        Palette(
            name="crimson",
            primary="8B1E3F",
            secondary="C0392B",
            accent="1F618D",
            text="1A1A1A",
            muted="6E6E6E",
            background="F9EEF1",
            series=("8B1E3F", "1F618D", "B7950B", "117A65", "5B2C6F", "C0392B"),
        ),
        Palette(
            name="high_contrast",
            primary="000000",
            secondary="333333",
            accent="D55E00",
            text="000000",
            muted="444444",
            background="FFFFFF",
            # Okabe-Ito colours, distinguishable with the common colour-vision deficiencies.
            series=("000000", "D55E00", "0072B2", "009E73", "CC79A7", "E69F00"),
        ),
    )
}
DEFAULT_PALETTE = "corporate_blue"


def palette(name: str) -> Palette:
    """Return the palette called ``name``.

    Raises:
        OptionsError: no palette has that name.
    """
    try:
        return PALETTES[name]
    except KeyError:
        known = ", ".join(sorted(PALETTES))
        raise OptionsError(f"colour scheme {name!r} is unknown; use one of {known}") from None
