"""Package attributes that import their module on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that imports each name from its module in ``homes``.

    A package sets it as its ``__getattr__``, so a process that imports one of its modules
    does not load the others. A name must not equal a submodule's name, because importing
    that submodule would set the package attribute to the module.
    """

    def attribute(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home), name)

    return attribute
