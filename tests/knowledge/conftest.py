from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.knowledge.scripted_model import ScriptedModel


def load_scripted_model() -> type[ScriptedModel]:
    """Load the scripted server's module by path, because the tests are not a package."""
    path = Path(__file__).with_name("scripted_model.py")
    spec = importlib.util.spec_from_file_location("pmr_scripted_model", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    scripted: type[ScriptedModel] = module.ScriptedModel
    return scripted


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModel]:
    model = load_scripted_model()()
    model.start()
    yield model
    model.stop()
