"""Storage errors keep their fields and message through pickling, as Ray requires."""

from __future__ import annotations

import pickle
import uuid

import pytest

from storage import (
    Conflict,
    IntegrityError,
    InvalidData,
    NotFound,
    StorageError,
    Unavailable,
)

_KEY = uuid.UUID("00000000-0000-4000-8000-000000000001")
_ERRORS = [
    pytest.param(StorageError("database failed"), id="storage-error"),
    pytest.param(NotFound("report", _KEY), id="not-found"),
    pytest.param(Conflict("job is cancelled"), id="conflict"),
    pytest.param(IntegrityError("constraint violated"), id="integrity-error"),
    pytest.param(InvalidData("duplicate activity ids"), id="invalid-data"),
    pytest.param(Unavailable("sqlite:///x.db", "disk I/O error"), id="unavailable"),
]


@pytest.mark.parametrize("error", _ERRORS)
def test_error_survives_pickling(error: StorageError) -> None:
    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


def test_not_found_names_entity_and_key() -> None:
    error = NotFound("project", _KEY)

    assert error.entity == "project"
    assert error.key == _KEY
    assert str(_KEY) in str(error)
    assert isinstance(error, StorageError)


def test_unavailable_names_url_and_remedy() -> None:
    error = Unavailable("postgresql+psycopg://pmr@db/pmr", "connection refused")

    assert error.url == "postgresql+psycopg://pmr@db/pmr"
    assert error.detail == "connection refused"
    assert "connection refused" in str(error)
    assert "PMR_DATABASE_URL" in str(error)
