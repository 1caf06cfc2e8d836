"""The openai engine: a unit's prompts sent concurrently to an OpenAI-compatible server.

Chat prompts go to `/v1/chat/completions`, raw prompts to `/v1/completions` (through the
`openai` SDK's async client, see openai_client), at most `max_concurrency` in flight,
answers in prompt order. Engine arguments are extra JSON fields of every request (the
fields evalspec sets itself take precedence). A request that still fails after the
client's retries becomes a Completion with `error` set (an infrastructure error on that
sample, never a model failure). Log-likelihoods come from prompt logprobs
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

import openai
from openai import AsyncOpenAI
from openai.types import Completion as TextCompletion
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion

from evalspec.engines.base import BatchStats, Completion, Message, Prompt, prompt_seeds
from evalspec.engines.openai_client import (
    ClientConfig,
    describe_failure,
    get_json,
    make_client,
    request_options,
)
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
        self, pairs: Sequence[tuple[Prompt, str]], adapter: AdapterSpec | None = None
    ) -> list[float]:
        """Per (context, continuation): the sum of the continuation's token logprobs."""
        model = self._model(adapter)
        jobs = [
            partial(self._loglikelihood_one, model=model, context=ctx, continuation=cont)
            for ctx, cont in pairs
        ]
        return _run_all(jobs, self.config)

    def render_chat(self, messages: list[Message]) -> tuple[str, bool]:
        """A chat context as the model's chat template writes it (with the generation
        prompt), and whether the server should still add special tokens: only an engine
        that has the model's tokenizer can (`vllm-server`)."""
        raise InfraError(
            f"engine {self.config.engine_name} cannot score a chat context: it does not have "
            "the model's chat template; use `prompt: {chat: false}` for log-likelihood tasks "
            "on this engine"
        )

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

    def _extra(self, fields: dict[str, Any]) -> dict[str, Any]:
        """engine_args as extra body fields, except those the request sets itself."""
        return {k: v for k, v in self.config.extra_body if k not in fields}

    async def _one(
        self, client: AsyncOpenAI, model: str, prompt: Prompt, params: GenerationSpec
    ) -> Completion:
        fields: dict[str, Any] = {
            "model": model,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if params.stop:
            fields["stop"] = list(params.stop)
        if params.seed is not None:
            fields["seed"] = params.seed
        start = time.perf_counter()
        try:
            answer = await self._ask(client, prompt, fields)
        except openai.APIError as exc:
            return Completion("", 0, 0, None, None, error=describe_failure(exc, self._timeout))
        try:
            text, finish_reason, usage = _parts(answer)
        except (AttributeError, IndexError, TypeError) as exc:
            return Completion("", 0, 0, None, None, error=f"malformed answer: {exc}")
        return Completion(
            text=text or "",
            prompt_tokens=int(usage.prompt_tokens or 0) if usage else 0,
            completion_tokens=int(usage.completion_tokens or 0) if usage else 0,
            finish_reason=finish_reason,
            latency_s=time.perf_counter() - start,
        )

    async def _ask(
        self, client: AsyncOpenAI, prompt: Prompt, fields: dict[str, Any]
    ) -> ChatCompletion | TextCompletion:
        """Chat prompts to chat/completions, raw prompts to completions."""
        key = "prompt" if isinstance(prompt, str) else "messages"
        fields = {**fields, key: prompt}
        options = {"extra_body": self._extra(fields), **request_options(self.config.client)}
        answer: ChatCompletion | TextCompletion
        if isinstance(prompt, str):
            answer = await client.completions.create(**options, **fields)
        else:
            answer = await client.chat.completions.create(**options, **fields)
        return answer

    async def _loglikelihood_one(
        self, client: AsyncOpenAI, model: str, context: Prompt, continuation: str
    ) -> float:
        """The continuation's tokens are those from the context's end without its trailing
        whitespace (lm-evaluation-harness moves that whitespace onto the continuation)."""
        text, special = (context, True) if isinstance(context, str) else self.render_chat(context)
        fields: dict[str, Any] = {
            "model": model,
            "prompt": text + continuation,
            "echo": True,
            "logprobs": 1,
            "max_tokens": 1,
            "temperature": 0.0,
        }
        try:
            answer = await client.completions.create(
                extra_body=self._extra(fields) | ({} if special else {"add_special_tokens": False}),
                **request_options(self.config.client),
                **fields,
            )
        except openai.APIError as exc:
            failure = describe_failure(exc, self._timeout)
            raise InfraError(f"log-likelihood request failed: {failure}") from exc
        boundary = len(text.rstrip())
        return continuation_logprob(answer.to_dict(), boundary, self.config.client.base_url)

    @property
    def _timeout(self) -> float:
        return self.config.client.timeout_s


def _parts(
    answer: ChatCompletion | TextCompletion,
) -> tuple[str | None, str | None, CompletionUsage | None]:
    """(text, finish reason, usage) of the first choice."""
    if isinstance(answer, ChatCompletion):
        chat = answer.choices[0]
        return chat.message.content, chat.finish_reason, answer.usage
    choice = answer.choices[0]
    return choice.text, choice.finish_reason, answer.usage


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
    jobs: Sequence[Callable[[AsyncOpenAI], Awaitable[T]]], config: OpenAIConfig
) -> list[T]:
    """Run coroutine factories (taking the shared client) with bounded concurrency, in order."""

    async def main() -> list[T]:
        semaphore = asyncio.Semaphore(config.max_concurrency)
        async with make_client(config.client) as client:

            async def bounded(job: Callable[[AsyncOpenAI], Awaitable[T]]) -> T:
                async with semaphore:
                    return await job(client)

            return list(await asyncio.gather(*(bounded(j) for j in jobs)))

    return asyncio.run(main())
