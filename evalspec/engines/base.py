"""The Engine protocol every backend implements, and the objects it exchanges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from evalspec.spec.models import AdapterSpec, GenerationSpec

Message = dict[str, str]
Prompt = str | list[Message]  # raw completion text, or chat messages


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    latency_s: float | None  # per request where the engine reports it, else None
    # an infrastructure failure on this sample (endpoint error after retries): never scored
    error: str | None = None


@dataclass(frozen=True)
class BatchStats:
    """What one batched engine call cost."""

    wall_s: float
    prompt_tokens: int
    completion_tokens: int

    @classmethod
    def of(cls, completions: Sequence[Completion], wall_s: float) -> BatchStats:
        """The totals of one batched call's completions."""
        return cls(
            wall_s=wall_s,
            prompt_tokens=sum(c.prompt_tokens for c in completions),
            completion_tokens=sum(c.completion_tokens for c in completions),
        )

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.wall_s if self.wall_s > 0 else 0.0


def prompt_seeds(
    params: GenerationSpec, count: int, seeds: Sequence[int | None] | None
) -> list[int | None]:
    """The sampling seed of each of `count` prompts: `seeds`, else params.seed for all."""
    if seeds is None:
        return [params.seed] * count
    if len(seeds) != count:
        raise ValueError(f"{count} prompts but {len(seeds)} seeds")
    return list(seeds)


@dataclass(frozen=True)
class LocalModelConfig:
    """What an in-process engine (vLLM offline, HF) needs to load a model."""

    model: str  # directory or repo id
    revision: str | None
    device: str  # "cpu" | "cuda"
    kwargs: tuple[tuple[str, Any], ...]  # engine arguments, sorted
    adapters: tuple[tuple[str, str], ...] = field(default=())  # (id, absolute path)


class Engine(Protocol):
    def generate(
        self,
        prompts: Sequence[Prompt],
        params: GenerationSpec,
        adapter: AdapterSpec | None = None,
        seeds: Sequence[int | None] | None = None,
    ) -> tuple[list[Completion], BatchStats]:
        """Run all prompts in one batched call; chat prompts get the model's chat template.

        seeds: one sampling seed per prompt, overriding params.seed (the n samples of a
        prompt go out together, each with its own seed)."""
        ...

    def loglikelihood(
        self, pairs: Sequence[tuple[Prompt, str]], adapter: AdapterSpec | None = None
    ) -> list[float]:
        """Per (context, continuation): the sum of the continuation's token log-probabilities
        (one batched call). A chat context (messages) is scored as the model's chat template
        writes it with the generation prompt: the continuation opens the assistant turn."""
        ...

    def fingerprint(self) -> dict[str, Any]:
        """Everything about the engine that can change outputs (name, version, dtype, device)."""
        ...

    def close(self) -> None: ...
