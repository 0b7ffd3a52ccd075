"""The one module that talks to the language model: any OpenAI-compatible chat completions
API through the official `openai` SDK with `base_url` (DESIGN.md §10).

The SDK is slow to import, so it is imported only when the first request is made, never by a
page that merely shows the assistant's buttons. One client per process (its connection pool
is reused), `max_retries=1` and LLM_TIMEOUT seconds per attempt. Every failure comes out as a
ProviderError with a `kind` the caller can explain to a person: "timeout", "rate_limited",
"unavailable" (connection refused, 5xx, a refused key) or "bad_response" (an answer the SDK
could not read). A streamed request reports the characters received so far to `progress`.
A caller with a deadline passes a shorter `timeout` for each attempt.

The SDK turns any exception during a request into a connection error and retries it, Celery's
soft time limit included; that one is raised again as itself, so the task ends as timed out
instead of being mistaken for an unreachable provider.
"""

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

MAX_RETRIES = 1


class ProviderError(Exception):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    model: str


def is_configured() -> bool:
    return bool(settings.LLM_BASE_URL)


def model_name() -> str:
    return str(settings.LLM_MODEL)


@functools.cache
def _client(base_url: str, api_key: str, timeout: float) -> Any:
    import openai  # lazily: importing the SDK takes a noticeable part of a second

    return openai.OpenAI(
        base_url=base_url,
        # A local model server may need no key; the SDK insists on one.
        api_key=api_key or "not-needed",
        timeout=timeout,
        max_retries=MAX_RETRIES,
    )


def client() -> Any:
    return _client(settings.LLM_BASE_URL, settings.LLM_API_KEY, float(settings.LLM_TIMEOUT))


def complete(
    messages: list[dict[str, str]],
    *,
    max_tokens: int = 800,
    temperature: float = 0.7,
    stream: bool = False,
    progress: Callable[[int], None] | None = None,
    timeout: float | None = None,
) -> Completion:
    """One chat completion; raises ProviderError (see the module's docstring). `timeout`
    (seconds per attempt) defaults to LLM_TIMEOUT."""
    if not is_configured():
        raise ProviderError("unavailable", "LLM_BASE_URL is not set")
    import openai
    from celery.exceptions import SoftTimeLimitExceeded

    started = time.monotonic()
    per_attempt = float(settings.LLM_TIMEOUT) if timeout is None else timeout
    try:
        if stream:
            text, usage = _streamed(messages, max_tokens, temperature, progress, per_attempt)
        else:
            response = client().chat.completions.create(
                model=model_name(),
                messages=messages,
                max_tokens=max_tokens,
                temperature=temperature,
                timeout=per_attempt,
            )
            text = (response.choices[0].message.content or "") if response.choices else ""
            usage = response.usage
    except openai.APITimeoutError as exc:
        raise ProviderError("timeout", str(exc)) from exc
    except openai.RateLimitError as exc:
        raise ProviderError("rate_limited", str(exc)) from exc
    except (openai.APIConnectionError, openai.APIStatusError) as exc:
        if isinstance(exc.__cause__, SoftTimeLimitExceeded):
            raise exc.__cause__ from None
        raise ProviderError("unavailable", str(exc)) from exc
    except (openai.APIError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ProviderError("bad_response", str(exc)) from exc
    latency = int((time.monotonic() - started) * 1000)
    prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
    if not prompt_tokens and not completion_tokens:
        # A server that reports no usage still costs something: a rough count (4 characters
        # a token) keeps the budget honest.
        prompt_tokens = sum(len(m["content"]) for m in messages) // 4
        completion_tokens = len(text) // 4
    return Completion(text, prompt_tokens, completion_tokens, latency, model_name())


def _streamed(
    messages: list[dict[str, str]],
    max_tokens: int,
    temperature: float,
    progress: Callable[[int], None] | None,
    timeout: float,
) -> tuple[str, Any]:
    parts: list[str] = []
    usage = None
    received = 0
    chunks = client().chat.completions.create(
        model=model_name(),
        messages=messages,
        max_tokens=max_tokens,
        temperature=temperature,
        stream=True,
        stream_options={"include_usage": True},
        timeout=timeout,
    )
    for chunk in chunks:
        if getattr(chunk, "usage", None):
            usage = chunk.usage
        for choice in chunk.choices or []:
            piece = getattr(choice.delta, "content", None) or ""
            if piece:
                parts.append(piece)
                received += len(piece)
                if progress is not None:
                    progress(received)
    return "".join(parts), usage
