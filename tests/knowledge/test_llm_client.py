"""The model client against a scripted OpenAI-compatible server on loopback."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import BaseModel

from knowledge import (
    EditKind,
    LanguageModel,
    ModelConfig,
    ModelNotConfiguredError,
    ModelOutputError,
    ModelUnavailableError,
    edit_from_call,
    tool_definitions,
)

if TYPE_CHECKING:
    from tests.knowledge.scripted_model import ScriptedModel

MESSAGES = [{"role": "user", "content": "Tighten the executive summary."}]


def config(model: ScriptedModel, **overrides: float) -> ModelConfig:
    values = {
        "timeout_seconds": 5.0,
        "max_retries": 0.0,
        "backoff_seconds": 0.0,
        "max_response_bytes": 4 * 1024 * 1024.0,
        **overrides,
    }
    return ModelConfig(
        base_url=model.base_url,
        model="scripted-1",
        api_key="sk-test-secret",
        timeout_seconds=values["timeout_seconds"],
        max_retries=int(values["max_retries"]),
        backoff_seconds=values["backoff_seconds"],
        max_response_bytes=int(values["max_response_bytes"]),
    )


async def test_client_returns_validated_tool_calls(scripted_model: ScriptedModel) -> None:
    scripted_model.call(
        ("append_paragraph", {"section_id": "executive_summary", "text": "Steel is late."}),
        content="Added a paragraph [1].",
    )

    async with LanguageModel(config(scripted_model)) as model:
        reply = await model.chat(MESSAGES, tools=tool_definitions())

    edit = edit_from_call(reply.tool_calls[0])
    assert reply.content == "Added a paragraph [1]."
    assert edit.kind is EditKind.APPEND_PARAGRAPH
    assert edit.new_text == "Steel is late."
    sent = scripted_model.requests[0]
    assert sent["model"] == "scripted-1"
    assert {tool["function"]["name"] for tool in sent["tools"]} == {k.value for k in EditKind}


async def test_client_rejects_malformed_tool_arguments(scripted_model: ScriptedModel) -> None:
    scripted_model.call(("replace_text", '{"section_id": "executive_summary", "old_text": '))

    async with LanguageModel(config(scripted_model)) as model:
        with pytest.raises(ModelOutputError, match="not valid JSON"):
            await model.chat(MESSAGES, tools=tool_definitions())


def test_tool_call_with_wrong_arguments_is_rejected() -> None:
    from knowledge import ToolCall

    call = ToolCall("remove_paragraph", {"section_id": "x", "paragraph": "two", "extra": 1})

    with pytest.raises(ModelOutputError, match="arguments of remove_paragraph are invalid"):
        edit_from_call(call)


async def test_client_times_out_and_retries(
    scripted_model: ScriptedModel, caplog: pytest.LogCaptureFixture
) -> None:
    scripted_model.hold()
    scripted_model.hold()

    async with LanguageModel(config(scripted_model, timeout_seconds=0.3, max_retries=1)) as model:
        with pytest.raises(ModelUnavailableError, match="failed 2 times, last with TimeoutError"):
            await model.chat(MESSAGES)

    assert len(scripted_model.requests) == 2
    assert "retrying" in caplog.text
    assert "sk-test-secret" not in caplog.text


async def test_client_validates_json_output(scripted_model: ScriptedModel) -> None:
    class Polished(BaseModel):
        text: str

    scripted_model.say('{"text": "The project is on track."}')
    scripted_model.say('{"wording": 3}')

    async with LanguageModel(config(scripted_model)) as model:
        first = await model.complete_json(MESSAGES, Polished)
        with pytest.raises(ModelOutputError, match="does not fit Polished"):
            await model.complete_json(MESSAGES, Polished)

    assert first.text == "The project is on track."
    assert scripted_model.requests[0]["response_format"] == {"type": "json_object"}


def test_model_config_hides_key_and_requires_settings() -> None:
    configured = ModelConfig(base_url="http://127.0.0.1:9/v1", model="m", api_key="sk-secret")

    with pytest.raises(ModelNotConfiguredError, match="PMR_LLM_BASE_URL"):
        LanguageModel(None)

    assert "sk-secret" not in repr(configured)


def completion_body(message: dict[str, Any]) -> bytes:
    choice = {"index": 0, "finish_reason": "stop", "message": message}
    completion = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m"}
    return json.dumps({**completion, "choices": [choice]}).encode()


def tool_message(arguments: object) -> dict[str, Any]:
    function = {"name": "append_paragraph", "arguments": arguments}
    return {
        "role": "assistant",
        "tool_calls": [{"id": "1", "type": "function", "function": function}],
    }


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        pytest.param(b'{"choices": [', "application/json", "not valid JSON", id="truncated-json"),
        pytest.param(b"<html></html>", "text/html", "not a chat completion object", id="html"),
        pytest.param(b"[1, 2]", "application/json", "not a chat completion object", id="array"),
        pytest.param(
            b'{"id": "c1", "choices": [{}]}',
            "application/json",
            "without a message",
            id="no-message",
        ),
        pytest.param(
            completion_body({"role": "assistant", "content": 42}),
            "application/json",
            "content that is not a string but int",
            id="content-number",
        ),
        pytest.param(
            completion_body({"role": "assistant", "tool_calls": "append"}),
            "application/json",
            "tool_calls that is not a list",
            id="tool-calls-string",
        ),
        pytest.param(
            completion_body(tool_message("[" * 100_000 + "]" * 100_000)),
            "application/json",
            "nest too deeply",
            id="nested-arguments",
        ),
        pytest.param(
            completion_body(tool_message(7)),
            "application/json",
            "are of type int, not a JSON string",
            id="number-arguments",
        ),
    ],
)
async def test_client_rejects_malformed_completion(
    scripted_model: ScriptedModel, body: bytes, content_type: str, message: str
) -> None:
    scripted_model.send(body, content_type=content_type)

    async with LanguageModel(config(scripted_model)) as model:
        with pytest.raises(ModelOutputError, match=message):
            await model.chat(MESSAGES, tools=tool_definitions())


async def test_client_accepts_tool_arguments_as_object(scripted_model: ScriptedModel) -> None:
    arguments = {"section_id": "executive_summary", "text": "Steel is late."}
    scripted_model.send(completion_body(tool_message(arguments)))

    async with LanguageModel(config(scripted_model)) as model:
        reply = await model.chat(MESSAGES, tools=tool_definitions())

    assert reply.tool_calls[0].arguments == arguments


async def test_client_ends_response_that_never_finishes(scripted_model: ScriptedModel) -> None:
    scripted_model.trickle()
    scripted_model.trickle()

    async with LanguageModel(config(scripted_model, timeout_seconds=0.3, max_retries=1)) as model:
        with pytest.raises(ModelUnavailableError, match="failed 2 times, last with TimeoutError"):
            # The outer deadline only keeps a broken client from hanging the test run.
            await asyncio.wait_for(model.chat(MESSAGES), timeout=60)

    assert len(scripted_model.requests) == 2


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [
        pytest.param(429, "3600", id="429-seconds"),
        pytest.param(503, "Wed, 21 Oct 2099 07:28:00 GMT", id="503-date"),
    ],
)
async def test_client_stops_when_asked_to_wait_past_timeout(
    scripted_model: ScriptedModel, status: int, retry_after: str
) -> None:
    for _ in range(3):
        scripted_model.send(
            b'{"error": "busy"}', status=status, headers={"Retry-After": retry_after}
        )

    async with LanguageModel(config(scripted_model, max_retries=2)) as model:
        with pytest.raises(
            ModelUnavailableError, match=r"asked to retry after \d+ s, longer than"
        ):
            await model.chat(MESSAGES)

    assert len(scripted_model.requests) == 1


LIMIT = 100_000


async def test_client_rejects_declared_oversize_body(scripted_model: ScriptedModel) -> None:
    scripted_model.send(b" " * (LIMIT + 1) + completion_body({"content": "late"}))

    async with LanguageModel(config(scripted_model, max_response_bytes=LIMIT, max_retries=2)) as m:
        with pytest.raises(ModelOutputError, match=r"declares 10\d,\d{3} bytes, over the limit"):
            await m.chat(MESSAGES)

    assert len(scripted_model.requests) == 1


async def test_client_stops_reading_endless_body(scripted_model: ScriptedModel) -> None:
    scripted_model.flood(50 * LIMIT)

    async with LanguageModel(config(scripted_model, max_response_bytes=LIMIT, max_retries=2)) as m:
        with pytest.raises(ModelOutputError, match="exceeded the limit of 100,000 bytes"):
            await m.chat(MESSAGES)

    assert len(scripted_model.requests) == 1


async def test_client_rejects_compressed_body(scripted_model: ScriptedModel) -> None:
    body = gzip.compress(completion_body({"role": "assistant", "content": "ok"}))
    scripted_model.send(body, headers={"Content-Encoding": "gzip"})

    async with LanguageModel(config(scripted_model)) as model:
        with pytest.raises(ModelOutputError, match="compressed with 'gzip'"):
            await model.chat(MESSAGES)

    assert scripted_model.request_headers[0]["Accept-Encoding"] == "identity"


async def test_client_reads_body_within_limit(scripted_model: ScriptedModel) -> None:
    scripted_model.say("Within the limit.")

    async with LanguageModel(config(scripted_model, max_response_bytes=LIMIT)) as model:
        reply = await model.chat(MESSAGES)

    assert reply.content == "Within the limit."


async def test_client_goes_through_environment_proxy(
    scripted_model: ScriptedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    # The scripted server acts as the proxy: the model's own host does not resolve.
    monkeypatch.setenv("HTTP_PROXY", scripted_model.base_url.removesuffix("/v1"))
    scripted_model.say("Through the proxy.")
    settings = config(scripted_model)
    through_proxy = ModelConfig(base_url="http://model.invalid/v1", model=settings.model)

    async with LanguageModel(through_proxy) as model:
        reply = await model.chat(MESSAGES)

    assert reply.content == "Through the proxy."
    assert scripted_model.request_headers[0]["Host"] == "model.invalid"
