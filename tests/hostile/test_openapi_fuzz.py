"""Schemathesis against the live server's /openapi.json, as an admin.

Every operation the schema lists gets generated requests, valid and invalid; each response
must not be a 5xx, must use a status code and content type the operation declares, and
must match the declared response schema. The profile is derandomized with a small example
count per operation, so CI sends the same bounded set of requests every time. Failures of
all operations are collected and reported together.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from deployments.auth import Role
from tests.collaboration.conftest import Server

pytestmark = pytest.mark.ray

EXAMPLES_PER_OPERATION = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MESSAGE_CHARS = 1500


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> str | None:
    """Send generated requests to one operation; return the first failure's text, if any."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        # No shrinking: one replay of a failing case against the live server can take a minute.
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def send(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    try:
        send()
    except Unsatisfiable:
        return None  # the operation has no input that a negative case could break
    except (Exception, BaseExceptionGroup) as error:  # one failure group per operation
        return str(error)[:MESSAGE_CHARS]
    return None


def test_api_answers_within_its_schema(hostile_server: Server) -> None:
    schema = schemathesis.openapi.from_url(f"{hostile_server.url}/openapi.json", timeout=30)
    headers = hostile_server.auth("admin@example.com", Role.ADMIN)
    results = list(schema.get_all_operations())
    invalid = [str(result.err()) for result in results if isinstance(result, Err)]
    operations = [result.ok() for result in results if isinstance(result, Ok)]

    failures = {
        f"{operation.label} ({mode.value})": failure
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := _fuzz(operation, mode, headers)) is not None
    }

    assert invalid == []
    assert len(operations) > 20
    assert failures == {}, "\n\n".join(f"{name}: {text}" for name, text in failures.items())


def test_openapi_declares_problem_responses(hostile_server: Server) -> None:
    schema = hostile_server.pm.get("/openapi.json").json()
    operations = [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    ]

    undeclared = [
        name
        for name, operation in operations
        for status in ("401", "404", "422", "500")
        if "application/problem+json"
        not in operation["responses"].get(status, {}).get("content", {})
    ]
    assert operations
    assert undeclared == []
    assert schema["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
        "code",
    ]
