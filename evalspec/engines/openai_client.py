"""HTTP to an OpenAI-compatible server: POST/GET with bounded retries and exponential backoff.

Retried: 429, 5xx, timeouts and connection errors, up to `max_retries` times, waiting
`backoff_s * 2**attempt` (capped, or the server's Retry-After when it is shorter than
the cap). Anything else, or a failure that persists, raises `EndpointError` with one
clear sentence; the engine turns it into a per-sample infrastructure error.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import httpx

MAX_BACKOFF_S = 30.0


class EndpointError(Exception):
    """A request that failed for good (after retries, or not retryable)."""


@dataclass(frozen=True)
class ClientConfig:
    base_url: str  # endpoint root including /v1
    api_key: str | None
    timeout_s: float
    max_retries: int
    backoff_s: float

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _delay(config: ClientConfig, attempt: int, response: httpx.Response | None) -> float:
    delay: float = min(config.backoff_s * 2.0**attempt, MAX_BACKOFF_S)
    retry_after = response.headers.get("retry-after") if response is not None else None
    if retry_after is not None:
        with contextlib.suppress(ValueError):
            delay = min(max(float(retry_after), 0.0), MAX_BACKOFF_S)
    return delay


async def post_json(
    client: httpx.AsyncClient, config: ClientConfig, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    """POST `body` to base_url + path; the decoded JSON answer, or EndpointError."""
    url = config.base_url.rstrip("/") + path
    last = ""
    for attempt in range(config.max_retries + 1):
        response: httpx.Response | None = None
        try:
            response = await client.post(
                url, json=body, headers=config.headers(), timeout=config.timeout_s
            )
        except httpx.TimeoutException:
            last = f"timed out after {config.timeout_s:g} s"
        except httpx.TransportError as exc:
            last = f"connection failed ({type(exc).__name__}: {exc})"
        else:
            if response.status_code == 200:
                try:
                    data = response.json()
                except ValueError as exc:
                    raise EndpointError(f"POST {url}: the answer is not JSON ({exc})") from exc
                if not isinstance(data, dict):
                    raise EndpointError(f"POST {url}: the answer is not a JSON object")
                return data
            last = f"HTTP {response.status_code}: {response.text[:300]}"
            if not _retryable(response.status_code):
                raise EndpointError(f"POST {url}: {last}")
        if attempt < config.max_retries:
            await asyncio.sleep(_delay(config, attempt, response))
    tries = config.max_retries + 1
    raise EndpointError(f"POST {url}: {last} (gave up after {tries} attempts)")


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
