"""The local executor: one resident engine in this process, requests in chunks.

The engine pool keeps the last engine loaded, so a plan grouped by model loads each
model once (and a test session sharing the pool loads the built-in model once). A
batch goes to the engine in chunks of `chunk_size` requests, large enough to keep
the engine saturated (several times vLLM's ``max_num_seqs``) and small enough that
an interrupted run loses little. An engine that raises is closed and dropped from
the pool: the unit fails with the engine's message and the next unit loads it anew
(an engine that failed inside vLLM can hang on its next call).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from evalspec.engines import BatchStats, Completion, Engine, EnginePool, EngineRequest
from evalspec.errors import InfraError, SpecError
from evalspec.runner.executor import (
    Batch,
    ChunkResult,
    GenerateItem,
    GroupDemand,
    Item,
    LoglikelihoodItem,
)

CHUNK_ENV = "EVALSPEC_CHUNK_SIZE"
MIN_CHUNK = 256
SEQS_PER_CHUNK = 4  # chunk = 4 x max_num_seqs: the engine's batch stays full until the tail
LOGLIKELIHOOD = "loglikelihood"


class EngineFailed(InfraError):
    """The engine raised while running a batch (the unit fails; the engine is reloaded)."""


def chunk_size(request: EngineRequest) -> int:
    """$EVALSPEC_CHUNK_SIZE, else max(256, 4 x the engine's max_num_seqs)."""
    raw = os.environ.get(CHUNK_ENV, "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise SpecError(f"{CHUNK_ENV}={raw!r}: expected a whole number of requests above 0")
        return value
    seqs = dict(request.args).get("max_num_seqs")
    return max(MIN_CHUNK, SEQS_PER_CHUNK * seqs) if isinstance(seqs, int) else MIN_CHUNK


class LocalExecutor:
    """Runs model groups one after another on the pool's resident engine."""

    name = "local"
    parallel = False

    def __init__(self, pool: EnginePool) -> None:
        self.pool = pool

    def reserve(self, demands: Sequence[GroupDemand]) -> None:
        return None  # one engine at a time: nothing to size

    def open(self, request: EngineRequest) -> LocalSession:
        loads_before = self.pool.loads
        engine = self.pool.get(request)
        loaded = self.pool.loads > loads_before
        load_s = getattr(engine, "load_s", None) if loaded else None
        return LocalSession(self.pool, request, engine, load_s, chunk_size(request))

    def close(self) -> None:
        self.pool.close()


class LocalSession:
    """One engine in this process; each batch in sequential chunks."""

    def __init__(
        self,
        pool: EnginePool,
        request: EngineRequest,
        engine: Engine,
        load_s: float | None,
        chunk: int,
    ) -> None:
        self._pool, self._request, self._engine = pool, request, engine
        self._load_s, self._chunk = load_s, chunk
        self._fingerprint: dict[str, Any] | None = None
        self._usable = True

    @property
    def load_s(self) -> float | None:
        return self._load_s

    @property
    def usable(self) -> bool:
        return self._usable

    def fingerprint(self) -> dict[str, Any]:
        if self._fingerprint is None:
            self._fingerprint = self._engine.fingerprint()
        return self._fingerprint

    def run(self, batch: Batch) -> Iterator[ChunkResult]:
        if not self._usable:
            raise EngineFailed(f"the engine of {self._request.model_id} failed earlier")
        for start in range(0, len(batch.items), self._chunk):
            items = batch.items[start : start + self._chunk]
            try:
                completions, stats = call_engine(self._engine, batch, items)
            except InfraError:
                raise
            except Exception as exc:  # the engine failed: drop it, so the next unit reloads
                self._usable = False
                self._pool.discard(self._request)
                raise EngineFailed(f"engine failed: {type(exc).__name__}: {exc}") from exc
            yield ChunkResult(tuple(items), tuple(completions), stats)

    def close(self) -> None:
        return None  # the engine stays resident in the pool (the judge or next run may reuse it)


def call_engine(
    engine: Engine, batch: Batch, items: Sequence[Item]
) -> tuple[list[Completion], BatchStats]:
    """One batched engine call over `items` of the batch (every executor runs chunks so)."""
    if batch.params is None:
        return _loglikelihoods(engine, batch, items)
    generate = [i for i in items if isinstance(i, GenerateItem)]
    return engine.generate(
        [i.prompt for i in generate], batch.params, batch.adapter, [i.seed for i in generate]
    )


def _loglikelihoods(
    engine: Engine, batch: Batch, items: Sequence[Item]
) -> tuple[list[Completion], BatchStats]:
    """One engine call over every choice of every question of the chunk."""
    questions = [i for i in items if isinstance(i, LoglikelihoodItem)]
    pairs = [pair for q in questions for pair in q.pairs]
    start = time.perf_counter()
    values = engine.loglikelihood(pairs, batch.adapter) if pairs else []
    wall = time.perf_counter() - start
    completions, offset = [], 0
    for question in questions:
        chunk = values[offset : offset + len(question.pairs)]
        offset += len(question.pairs)
        completions.append(
            Completion(
                text=json.dumps(chunk),
                prompt_tokens=0,
                completion_tokens=0,
                finish_reason=LOGLIKELIHOOD,
                latency_s=None,
            )
        )
    return completions, BatchStats(wall, 0, 0)
