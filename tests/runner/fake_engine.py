"""An in-process engine stand-in for fast driver tests: deterministic answers, call log, faults.

It implements the Engine protocol (generate, loglikelihood, fingerprint, close) with no
model: the answer to a chat is a pure function of its messages, so cached and
regenerated outputs can be compared exactly. The real engine paths are covered by the
slow end-to-end tests on vLLM; this makes the driver's bookkeeping (cache, chunks,
turns, failures, signals) testable in milliseconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalspec.engines import BatchStats, Completion, EnginePool, EngineRequest, Prompt
from evalspec.spec.models import AdapterSpec, GenerationSpec


def answer(prompt: Prompt, seed: int | None) -> str:
    """The stand-in's output: judges rate 7, other chats get a digest of what they saw."""
    text = prompt if isinstance(prompt, str) else "\n".join(m["content"] for m in prompt)
    if "[[rating]]" in text:
        return "Rating: [[7]]"
    return "ans-" + hashlib.sha256(f"{text}|{seed}".encode()).hexdigest()[:8]


@dataclass
class FakeEngine:
    """Records every prompt it was sent; `fail` decides per prompt whether it errors."""

    calls: list[list[Prompt]] = field(default_factory=list)
    fail: Callable[[Prompt], str | None] = lambda _: None  # an endpoint error for this prompt
    raise_on_call: int | None = None  # the n-th generate call (0-based) raises
    on_call: Callable[[int], None] = lambda _: None
    closed: bool = False
    load_s: float = 0.01

    def generate(
        self,
        prompts: Sequence[Prompt],
        params: GenerationSpec,
        adapter: AdapterSpec | None = None,
        seeds: Sequence[int | None] | None = None,
    ) -> tuple[list[Completion], BatchStats]:
        index = len(self.calls)
        self.calls.append(list(prompts))
        self.on_call(index)
        if self.raise_on_call == index:
            raise RuntimeError("engine core died")
        seeds = list(seeds) if seeds is not None else [params.seed] * len(prompts)
        out = []
        for prompt, seed in zip(prompts, seeds, strict=True):
            error = self.fail(prompt)
            text = "" if error else answer(prompt, seed)
            out.append(Completion(text, 5, 2, "stop", 0.1, error=error))
        return out, BatchStats(0.5, 5 * len(out), 2 * len(out))

    def loglikelihood(
        self, pairs: Sequence[tuple[str, str]], adapter: AdapterSpec | None = None
    ) -> list[float]:
        self.calls.append([ctx + cont for ctx, cont in pairs])
        return [-float(len(cont)) for _, cont in pairs]

    def fingerprint(self) -> dict[str, Any]:
        return {"engine": "fake", "engine_version": "1"}

    def close(self) -> None:
        self.closed = True

    @property
    def prompts_sent(self) -> int:
        return sum(len(c) for c in self.calls)


class FakeEngines:
    """A pool loader handing out FakeEngines (a new one per load), keeping them all."""

    def __init__(self, **settings: Any) -> None:
        self.settings = settings
        self.engines: list[FakeEngine] = []

    def __call__(self, request: EngineRequest) -> FakeEngine:
        engine = FakeEngine(**self.settings)
        self.engines.append(engine)
        return engine

    def pool(self) -> EnginePool:
        return EnginePool(loader=self)

    @property
    def prompts_sent(self) -> int:
        return sum(e.prompts_sent for e in self.engines)
