"""The README documents what an operator can set."""

from __future__ import annotations

from pathlib import Path

from config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    variables = [f"PMR_{name.upper()}" for name in Settings.model_fields]

    missing = [variable for variable in variables if f"`{variable}`" not in text]

    assert variables, "Settings declares no fields"
    assert missing == []
