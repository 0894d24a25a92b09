"""Package attributes that import their module on first use."""

from __future__ import annotations

import pytest

import actors
import knowledge
from config.lazy import lazy_attributes


@pytest.mark.parametrize("package", [actors, knowledge], ids=["actors", "knowledge"])
def test_every_exported_name_resolves(package: object) -> None:
    for name in package.__all__:  # type: ignore[attr-defined]
        assert getattr(package, name) is not None, name


def test_unknown_name_raises_attribute_error() -> None:
    attribute = lazy_attributes("example", {"dumps": "json"})

    with pytest.raises(AttributeError, match="module 'example' has no attribute 'loads'"):
        attribute("loads")


def test_name_imports_its_home() -> None:
    attribute = lazy_attributes("example", {"dumps": "json"})

    assert attribute("dumps")([1]) == "[1]"
