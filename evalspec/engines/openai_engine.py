"""The openai engine: a unit's prompts sent concurrently to an OpenAI-compatible server.

Chat prompts go to `/v1/chat/completions`, raw prompts to `/v1/completions`, at most
`max_concurrency` in flight, answers in prompt order. A request that still fails after
the client's retries becomes a Completion with `error` set (an infrastructure error on
that sample, never a model failure). Log-likelihoods come from prompt logprobs
(`/v1/completions` with `echo`, `logprobs: 1`, `max_tokens: 1`).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import httpx

from evalspec.engines.base import BatchStats, Completion, Prompt, prompt_seeds
from evalspec.engines.openai_client import ClientConfig, EndpointError, get_json, post_json
from evalspec.errors import InfraError
from evalspec.spec.models import AdapterSpec, GenerationSpec

T = TypeVar("T")


@dataclass(frozen=True)
class OpenAIConfig:
    client: ClientConfig
    model: str  # the served model name sent in requests
    max_concurrency: int = 8
    extra_body: tuple[tuple[str, Any], ...] = ()  # engine_args: extra JSON fields per request
    adapters: tuple[str, ...] = ()  # adapter ids the server serves under their own names
    engine_name: str = "openai"
    fingerprint_extra: dict[str, Any] = field(default_factory=dict)


class OpenAIEngine:
    """An engine speaking the OpenAI HTTP API; holds no connection between batches."""

    def __init__(self, config: OpenAIConfig, load_s: float | None = None) -> None:
        self.config = config
        self.load_s = load_s

    def generate(
        self,
        prompts: Sequence[Prompt],
        params: GenerationSpec,
        adapter: AdapterSpec | None = None,
        seeds: Sequence[int | None] | None = None,
    ) -> tuple[list[Completion], BatchStats]:
        model = self._model(adapter)
        start = time.perf_counter()
        jobs = [
            partial(
                self._one, model=model, prompt=p, params=params.model_copy(update={"seed": seed})
            )
            for p, seed in zip(prompts, prompt_seeds(params, len(prompts), seeds), strict=True)
        ]
        completions = _run_all(jobs, self.config)
        wall = time.perf_counter() - start
        return completions, BatchStats.of(completions, wall)

    def loglikelihood(
        self, pairs: Sequence[tuple[str, str]], adapter: AdapterSpec | None = None
    ) -> list[float]:
        """Per (context, continuation): the sum of the continuation's token logprobs."""
        model = self._model(adapter)
        jobs = [
            partial(self._loglikelihood_one, model=model, context=ctx, continuation=cont)
            for ctx, cont in pairs
        ]
        return _run_all(jobs, self.config)

    def fingerprint(self) -> dict[str, Any]:
        version = get_json(self.config.client, "//version")
        models = get_json(self.config.client, "/models") or {}
        served = next((m for m in models.get("data", []) if m.get("id") == self.config.model), None)
        fingerprint: dict[str, Any] = {
            "engine": self.config.engine_name,
            "engine_version": version.get("version") if version else None,
            "server_model": self.config.model,
        }
        if served is not None:
            fingerprint["server_model_root"] = served.get("root")
            if served.get("max_model_len") is not None:
                fingerprint["max_model_len"] = served["max_model_len"]
        return {**fingerprint, **self.config.fingerprint_extra}

    def close(self) -> None:
        return None

    def _model(self, adapter: AdapterSpec | None) -> str:
        if adapter is None:
            return self.config.model
        if adapter.id not in self.config.adapters:
            raise InfraError(f"adapter '{adapter.id}' is not served by this engine")
        return adapter.id

    async def _one(
        self, client: httpx.AsyncClient, model: str, prompt: Prompt, params: GenerationSpec
    ) -> Completion:
        body: dict[str, Any] = {
            **dict(self.config.extra_body),
            "model": model,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if params.stop:
            body["stop"] = list(params.stop)
        if params.seed is not None:
            body["seed"] = params.seed
        chat = not isinstance(prompt, str)
        body["messages" if chat else "prompt"] = prompt
        start = time.perf_counter()
        try:
            data = await post_json(
                client, self.config.client, "/chat/completions" if chat else "/completions", body
            )
            choice = data["choices"][0]
            text = choice["message"]["content"] if chat else choice["text"]
            usage = data.get("usage") or {}
        except EndpointError as exc:
            return Completion("", 0, 0, None, None, error=str(exc))
        except (KeyError, IndexError, TypeError) as exc:
            return Completion("", 0, 0, None, None, error=f"malformed answer: missing {exc}")
        return Completion(
            text=text or "",
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason=choice.get("finish_reason"),
            latency_s=time.perf_counter() - start,
        )

    async def _loglikelihood_one(
        self, client: httpx.AsyncClient, model: str, context: str, continuation: str
    ) -> float:
        body = {
            **dict(self.config.extra_body),
            "model": model,
            "prompt": context + continuation,
            "echo": True,
            "logprobs": 1,
            "max_tokens": 1,
            "temperature": 0.0,
        }
        try:
            data = await post_json(client, self.config.client, "/completions", body)
        except EndpointError as exc:
            raise InfraError(f"log-likelihood request failed: {exc}") from exc
        return continuation_logprob(data, len(context), self.config.client.base_url)


def continuation_logprob(data: dict[str, Any], context_chars: int, where: str) -> float:
    """Sum of the echoed prompt-token logprobs that start at or after the context's end."""
    try:
        logprobs = data["choices"][0]["logprobs"]
        values: list[float | None] = list(logprobs["token_logprobs"])
        offsets: list[int] = list(logprobs["text_offset"])
    except (KeyError, IndexError, TypeError):
        values, offsets = [], []
    if not values or len(values) != len(offsets):
        raise InfraError(
            f"the server at {where} did not return prompt logprobs for /v1/completions with "
            "echo=true, logprobs=1; log-likelihood scoring needs a server that offers them "
            "(e.g. vllm serve)"
        )
    usage = data.get("usage") or {}
    n_prompt = int(usage.get("prompt_tokens") or len(values) - 1)  # drop the generated token
    picked = [
        v for v, o in zip(values[:n_prompt], offsets[:n_prompt], strict=True) if o >= context_chars
    ]
    if not picked or any(v is None or not math.isfinite(v) for v in picked):
        raise InfraError(
            f"the server at {where} returned no usable logprobs for the continuation "
            "(empty continuation, or the first prompt token)"
        )
    return float(sum(v for v in picked if v is not None))


def _run_all(
    jobs: Sequence[Callable[[httpx.AsyncClient], Awaitable[T]]], config: OpenAIConfig
) -> list[T]:
    """Run coroutine factories (taking the shared client) with bounded concurrency, in order."""

    async def main() -> list[T]:
        limits = httpx.Limits(max_connections=config.max_concurrency)
        semaphore = asyncio.Semaphore(config.max_concurrency)
        async with httpx.AsyncClient(limits=limits) as client:

            async def bounded(job: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
                async with semaphore:
                    return await job(client)

            return list(await asyncio.gather(*(bounded(j) for j in jobs)))

    return asyncio.run(main())
