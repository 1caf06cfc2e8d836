"""The executor seam: how a model group's engine requests get run, and nothing else.

The driver (`evalspec.runner.execute`) keeps all state: it reads the response cache,
decides which requests are missing, writes the cache as results arrive, scores,
appends records and writes the run store. An executor only turns requests into
completions:

- `Executor.open(request)` makes the engine(s) of one model group ready (loads the
  model; `InfraError` when it cannot) and returns a `GroupSession`;
- `GroupSession.run(batch)` yields `ChunkResult`s as they complete, covering every
  item of the batch exactly once, in any order; the driver persists each chunk as it
  arrives, so an interrupted run loses at most the chunks in flight;
- `GroupSession.close()` gives the group's engines back when its units are done.

An executor whose `parallel` is true runs several model groups at the same time (the
driver gives each group its own thread and calls `reserve` with every group's demand
first, so replicas can be sized); the driver still scores and records in plan order.

Implementations, one module each: `evalspec.runner.local` (the default: one resident
engine in this process) and `evalspec.runner.ray` (engine replicas as Ray actors on
every GPU of a machine or cluster).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from evalspec.engines import BatchStats, Completion, EngineRequest, Prompt
from evalspec.spec.models import AdapterSpec, GenerationSpec


@dataclass(frozen=True)
class GenerateItem:
    """One generation request: its cache key, the prompt (or chat so far) and its seed."""

    key: str
    prompt: Prompt
    seed: int | None


@dataclass(frozen=True)
class LoglikelihoodItem:
    """One multiple-choice question: the (context, continuation) pair of every choice (a
    chat context is its messages).

    Its completion's text is the JSON list of the pairs' log-likelihoods."""

    key: str
    pairs: tuple[tuple[Prompt, str], ...]


Item = GenerateItem | LoglikelihoodItem


@dataclass(frozen=True)
class Batch:
    """Requests of one unit that share their settings (one generation turn, or all the
    log-likelihood questions): the engine may run them in one call or in chunks."""

    unit_id: str
    adapter: AdapterSpec | None
    params: GenerationSpec | None  # None: log-likelihood items
    items: tuple[Item, ...]


@dataclass(frozen=True)
class ChunkResult:
    """Completions of some items of a batch (same order as `items`) and what they cost."""

    items: tuple[Item, ...]
    completions: tuple[Completion, ...]
    stats: BatchStats
    # the engine that produced the chunk, when it is not the session's (another replica)
    fingerprint: dict[str, Any] | None = None
    # monitor readings taken where the chunk ran (monitor.jsonl ticks, tagged with the unit)
    readings: tuple[dict[str, Any], ...] = field(default=())


@dataclass(frozen=True)
class GroupDemand:
    """What a model group will ask of an executor: its engine and how many requests the
    cache does not answer (first turns), so a parallel executor can size its replicas."""

    request: EngineRequest
    requests: int


class GroupSession(Protocol):
    """The loaded engine(s) of one model group."""

    @property
    def load_s(self) -> float | None:
        """Seconds the engine took to load when this session loaded it, else None."""
        ...

    @property
    def usable(self) -> bool:
        """False once the engine failed: the driver opens a new session for the next unit."""
        ...

    def fingerprint(self) -> dict[str, Any]:
        """What about the engine can change outputs (name, version, dtype, device)."""
        ...

    def run(self, batch: Batch) -> Iterator[ChunkResult]:
        """Completions of every item, chunk by chunk, as they complete."""
        ...

    def close(self) -> None:
        """The group is done: give its engines back (an executor may keep one resident)."""
        ...


class Executor(Protocol):
    name: str
    parallel: bool  # several model groups may run at once, one driver thread each

    def reserve(self, demands: Sequence[GroupDemand]) -> None:
        """Every model group of the run, before any is opened."""
        ...

    def open(self, request: EngineRequest) -> GroupSession:
        """The engine(s) of a model group, loaded (InfraError when they cannot be)."""
        ...

    def close(self) -> None:
        """Release every engine."""
        ...
