"""The client for OpenAI-compatible servers: the `openai` SDK's async client and retry policy.

Requests go through `openai.AsyncOpenAI`, which retries 408, 409, 429, 5xx, timeouts and
connection errors up to `max_retries` times, honours the server's `retry-after-ms` and
`Retry-After` (seconds or an HTTP date, up to the SDK's limit), obeys `x-should-retry`,
and otherwise backs off exponentially with up to 25% jitter. evalspec adds one thing:
the spec's `retry_backoff_s` is the first of those backoff delays: the SDK's delays are
scaled by retry_backoff_s / 0.5 s (its own first delay; so the default 0.5 is the SDK's
policy unchanged), doubling per retry up to 16 times the first (the SDK's 8 s cap,
scaled) and never above 30 s. That hook overrides one internal SDK method;
`retry_hook_supported` checks it against the installed SDK, which otherwise keeps its
own delays (with a warning).

Credentials are explicit: the key from `server.api_key_env` or no Authorization header
at all, never the SDK's fallback to `$OPENAI_API_KEY` for a server configured without
one. A request that fails for good is described in one sentence by `describe_failure`
(method, URL, HTTP status or transport failure, attempts made).
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from typing import Any

import httpx
import openai
from openai import AsyncOpenAI

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0
# the SDK's first backoff delay (0.5 s in openai 2.x and 3.x)
SDK_FIRST_DELAY_S: float = getattr(openai._constants, "INITIAL_RETRY_DELAY", 0.5)
# the SDK method the backoff hook overrides, with the parameters it is called with
_HOOK = "_calculate_retry_timeout"
_HOOK_PARAMS = ["self", "remaining_retries", "options", "response_headers"]
_NO_KEY = "no-key"  # placeholder; its Authorization header is left out of every request


@dataclass(frozen=True)
class ClientConfig:
    base_url: str  # endpoint root including /v1
    api_key: str | None
    timeout_s: float
    max_retries: int
    backoff_s: float  # the first retry delay when the server names none

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


def retry_hook_supported() -> bool:
    """Whether the installed SDK computes retry delays in the method `_BackoffClient`
    overrides, called with the parameters it expects."""
    method = getattr(AsyncOpenAI, _HOOK, None)
    if method is None or not hasattr(AsyncOpenAI, "_parse_retry_after_header"):
        return False
    return list(inspect.signature(method).parameters)[:4] == _HOOK_PARAMS


class _BackoffClient(AsyncOpenAI):
    """AsyncOpenAI whose own backoff starts at `first_delay_s` instead of 0.5 s."""

    def __init__(self, *, first_delay_s: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._backoff_scale = first_delay_s / SDK_FIRST_DELAY_S

    def _calculate_retry_timeout(
        self, remaining_retries: int, options: Any, response_headers: Any = None
    ) -> float:
        server = self._parse_retry_after_header(response_headers)
        if server is not None and server > 0:  # the server named a delay: the SDK's rule
            return float(
                super()._calculate_retry_timeout(remaining_retries, options, response_headers)
            )
        backoff = float(super()._calculate_retry_timeout(remaining_retries, options, None))
        return min(backoff * self._backoff_scale, MAX_BACKOFF_S)


def make_client(config: ClientConfig) -> AsyncOpenAI:
    """An SDK client for the endpoint; close it (`async with`) when the batch is done."""
    kwargs: dict[str, Any] = {
        "base_url": config.base_url,
        "api_key": config.api_key or _NO_KEY,
        "timeout": config.timeout_s,
        "max_retries": config.max_retries,
    }
    if config.backoff_s == SDK_FIRST_DELAY_S:
        return AsyncOpenAI(**kwargs)
    if not retry_hook_supported():
        log.warning(
            "server.retry_backoff_s=%g is not applied: openai %s computes retry delays "
            "differently from the versions evalspec knows; its own backoff is used",
            config.backoff_s,
            openai.__version__,
        )
        return AsyncOpenAI(**kwargs)
    return _BackoffClient(first_delay_s=config.backoff_s, **kwargs)


def request_options(config: ClientConfig) -> dict[str, Any]:
    """Per-request SDK options: without a key, no Authorization header (the SDK sends one
    unless a request leaves it out explicitly)."""
    return {} if config.api_key else {"extra_headers": {"Authorization": openai.omit}}


def describe_failure(exc: openai.APIError, timeout_s: float) -> str:
    """One sentence for a request the SDK gave up on: what, where, why, how many attempts."""
    request = exc.response.request if isinstance(exc, openai.APIStatusError) else exc.request
    where = f"{request.method} {request.url}"
    if isinstance(exc, openai.APIStatusError):
        why = f"HTTP {exc.status_code}: {exc.response.text[:300]}"
    elif isinstance(exc, openai.APITimeoutError):
        why = f"timed out after {timeout_s:g} s"
    elif isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        why = (
            f"connection failed ({type(cause).__name__}: {cause})" if cause else "connection failed"
        )
    else:  # the answer could not be read (APIResponseValidationError and the like)
        why = f"unusable answer ({exc})"
    attempts = _attempts(request.headers.get("x-stainless-retry-count"))
    return f"{where}: {why} ({attempts})"


def _attempts(retry_count: str | None) -> str:
    """The SDK numbers each try in its `x-stainless-retry-count` request header."""
    if retry_count is None or not retry_count.isdigit():
        return "after retries"
    n = int(retry_count) + 1
    return "1 attempt" if n == 1 else f"gave up after {n} attempts"


def get_json(config: ClientConfig, path: str) -> dict[str, Any] | None:
    """GET base_url + path (or the server root for paths starting with '//'); None on failure."""
    root = config.base_url.rstrip("/")
    url = root.removesuffix("/v1") + path[1:] if path.startswith("//") else root + path
    try:
        response = httpx.get(url, headers=config.headers(), timeout=min(config.timeout_s, 10.0))
        data = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return data if isinstance(data, dict) else None
