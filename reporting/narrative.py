"""Section texts written from the figures through jinja2 templates."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound

from insights.text import day, money, percent

_BLANK_RUNS = re.compile(r"\n{3,}")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Bodies are plain text edited live, never HTML, so nothing is escaped here; exports
    # escape when they render.
    environment = Environment(
        loader=PackageLoader("reporting", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["money"] = money
    environment.filters["percent"] = percent
    environment.filters["day"] = day
    return environment


def has_narrative(section_id: str) -> bool:
    try:
        _environment().get_template(f"{section_id}.md.j2")
    except TemplateNotFound:
        return False
    return True


def render_section(section_id: str, context: dict[str, Any]) -> str:
    """Render the narrative of ``section_id``; the template must exist."""
    text = _environment().get_template(f"{section_id}.md.j2").render(**context)
    return _BLANK_RUNS.sub("\n\n", text).strip()
