"""A client for any OpenAI-compatible chat completions endpoint, with structured output.

Open it with ``async with LanguageModel(config) as model``. Timeouts, connection failures,
rate limits and server errors are retried with exponential backoff; anything else, and
output that is not the requested JSON or tool calls, raises at once. A Retry-After header
lengthens the wait, and one that requests more than the timeout ends the retries. The
API key never appears in logs, messages or ``repr``.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from config import Settings
from knowledge.errors import ModelNotConfiguredError, ModelOutputError, ModelUnavailableError
from knowledge.response_limit import BoundedTransport, ResponseTooLargeError

logger = logging.getLogger(__name__)

Schema = TypeVar("Schema", bound=BaseModel)

if TYPE_CHECKING:
    import openai


def _retried() -> tuple[type[Exception], ...]:
    """Return the errors worth another attempt, importing openai on first use."""
    import openai

    return (
        openai.APITimeoutError,
        openai.APIConnectionError,
        openai.RateLimitError,
        openai.InternalServerError,
        # The deadline on the whole request in LanguageModel._create.
        TimeoutError,
    )


@dataclass(frozen=True, slots=True)
class ModelConfig:
    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout_seconds: float = 30.0
    max_retries: int = 2
    backoff_seconds: float = 0.5
    max_response_bytes: int = 4 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelConfig | None:
        """Return the configured model, or None when PMR_LLM_BASE_URL or _MODEL is unset."""
        if not settings.llm_base_url or not settings.llm_model:
            return None
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=key,
            timeout_seconds=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
            backoff_seconds=settings.llm_backoff_seconds,
            max_response_bytes=settings.llm_max_response_bytes,
        )


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ModelReply:
    content: str
    tool_calls: tuple[ToolCall, ...] = ()


class LanguageModel:
    """One conversation's access to the configured model."""

    def __init__(self, config: ModelConfig | None) -> None:
        if config is None:
            raise ModelNotConfiguredError()
        self.config = config
        import openai

        # Retries are done here, so that each one is logged and the backoff is ours.
        self._client: openai.AsyncOpenAI = openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key or "unused",
            timeout=config.timeout_seconds,
            max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(
                transport=BoundedTransport(config.max_response_bytes, config.base_url)
            ),
        )

    async def __aenter__(self) -> LanguageModel:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._client.close()

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        tools: Sequence[Mapping[str, Any]] = (),
        json_output: bool = False,
    ) -> ModelReply:
        """Send one chat completion request; return the text and the tool calls.

        Raises:
            ModelUnavailableError: every attempt timed out or failed at the server.
            ModelOutputError: the response is not a chat completion with a message, or its
                content or tool calls are malformed.
        """
        request: dict[str, Any] = {"model": self.config.model, "messages": list(messages)}
        if tools:
            request["tools"] = list(tools)
        if json_output:
            request["response_format"] = {"type": "json_object"}
        completion = await self._create(request)
        message = _first_message(self.config.model, completion)
        content = message.content or ""
        if not isinstance(content, str):
            raise ModelOutputError(
                f"model {self.config.model} sent message content that is not a string "
                f"but {type(content).__name__}"
            )
        tool_calls = message.tool_calls or []
        if not isinstance(tool_calls, list):
            raise ModelOutputError(f"model {self.config.model} sent tool_calls that is not a list")
        calls = tuple(_tool_call(call) for call in tool_calls)
        return ModelReply(content=content, tool_calls=calls)

    async def complete_json(
        self, messages: Sequence[Mapping[str, Any]], schema: type[Schema]
    ) -> Schema:
        """Ask for a JSON object and validate it against ``schema``.

        Raises:
            ModelOutputError: the answer is not JSON or does not fit ``schema``.
        """
        reply = await self.chat(messages, json_output=True)
        try:
            return schema.model_validate_json(reply.content)
        except ValidationError as error:
            raise ModelOutputError(
                f"model {self.config.model} answered with JSON that does not fit "
                f"{schema.__name__}: {error.error_count()} errors, first: "
                f"{error.errors()[0]['msg']}"
            ) from error

    async def _create(self, request: dict[str, Any]) -> Any:
        import openai

        retried = _retried()
        attempts = self.config.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                # httpx's timeout bounds each read, so a server that keeps sending a byte now
                # and then would hold the request forever without this deadline on the whole.
                async with asyncio.timeout(self.config.timeout_seconds):
                    return await self._client.chat.completions.create(**request)
            except ResponseTooLargeError as error:
                raise ModelOutputError(
                    f"model {self.config.model} sent an unusable response: {error}; raise "
                    "PMR_LLM_MAX_RESPONSE_BYTES if such answers are expected"
                ) from error
            except retried as error:
                retry_after = _retry_after(error)
                if retry_after is not None and retry_after > self.config.timeout_seconds:
                    # Waiting that long would hold the caller past the configured timeout.
                    raise ModelUnavailableError(
                        f"model {self.config.model} at {self.config.base_url} failed with "
                        f"{type(error).__name__} and asked to retry after {retry_after:.0f} s, "
                        "longer than PMR_LLM_TIMEOUT_SECONDS; try again later"
                    ) from error
                if attempt == attempts:
                    raise ModelUnavailableError(
                        f"model {self.config.model} at {self.config.base_url} failed "
                        f"{attempts} times, last with {type(error).__name__}; check the "
                        "endpoint or raise PMR_LLM_TIMEOUT_SECONDS"
                    ) from error
                delay = max(self.config.backoff_seconds * 2 ** (attempt - 1), retry_after or 0.0)
                logger.warning(
                    "model %s attempt %d of %d failed (%s); retrying in %.1f s",
                    self.config.model,
                    attempt,
                    attempts,
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
            except openai.APIStatusError as error:
                raise ModelUnavailableError(
                    f"model {self.config.model} refused the request with HTTP "
                    f"{error.status_code}; check PMR_LLM_MODEL and PMR_LLM_API_KEY"
                ) from error
            except openai.APIResponseValidationError as error:
                raise ModelOutputError(
                    f"model {self.config.model} sent a response that is not a chat completion"
                ) from error
            except json.JSONDecodeError as error:
                raise ModelOutputError(
                    f"model {self.config.model} sent a response body that is not valid JSON: "
                    f"{error.msg} at character {error.pos}"
                ) from error
        raise AssertionError("unreachable")


def _retry_after(error: Exception) -> float | None:
    """Return the wait in seconds from a 429 or 5xx response's Retry-After header, if any."""
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # NaN and negative values count as no wait.
        return seconds if seconds >= 0 else 0.0
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _first_message(model: str, completion: object) -> Any:
    """Return the message of the completion's first choice.

    openai builds the completion without validating it, so any part may be missing or of
    another type, and a body that is not a JSON object arrives as a str, list or number.
    """
    import openai.types.chat

    if not isinstance(completion, openai.types.chat.ChatCompletion):
        raise ModelOutputError(
            f"model {model} sent a response that is not a chat completion object but "
            f"{type(completion).__name__}"
        )
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise ModelOutputError(f"model {model} returned no choices")
    message = getattr(choices[0], "message", None)
    if message is None or not hasattr(message, "content"):
        raise ModelOutputError(f"model {model} returned a choice without a message")
    return message


def _tool_call(call: Any) -> ToolCall:
    function = getattr(call, "function", None)
    name = getattr(function, "name", None)
    if function is None or not isinstance(name, str) or not name:
        raise ModelOutputError("the model sent a tool call without a function name")
    raw = getattr(function, "arguments", None) or "{}"
    try:
        # Arguments sent as a JSON object, not as a string of JSON, are accepted as they are.
        arguments = raw if isinstance(raw, dict) else json.loads(raw)
    except json.JSONDecodeError as error:
        raise ModelOutputError(
            f"the arguments of tool call {name} are not valid JSON: {error.msg} at "
            f"character {error.pos}"
        ) from error
    except TypeError as error:
        raise ModelOutputError(
            f"the arguments of tool call {name} are of type {type(raw).__name__}, "
            "not a JSON string"
        ) from error
    except RecursionError as error:
        raise ModelOutputError(
            f"the arguments of tool call {name} nest too deeply to parse"
        ) from error
    if not isinstance(arguments, dict):
        raise ModelOutputError(f"the arguments of tool call {name} are not a JSON object")
    return ToolCall(name=name, arguments=arguments)
