"""What a unit asks of its engine, answered from the response cache first, the rest by the executor.

Every engine output of a unit has a key (sample id, index): index = turn * n + attempt
for generation (turn 0 is the sample's prompt, later turns continue its chat) and 0 for
a loglikelihood sample (the completion's text is the JSON list of its choices'
log-likelihoods). Each output is one engine request with its own request key
(`evalspec.runner.requests`): the cache is read by request key, and only the misses
go to the executor, whose chunks are written to the cache as they arrive.

A turn that failed at the engine ends its conversation: later turns of that sample
and attempt are not generated (they would continue after a missing answer), and the
unit fails as an infrastructure error.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalspec.data.types import Sample
from evalspec.engines import BatchStats, Completion, EngineRequest, Prompt
from evalspec.errors import InfraError
from evalspec.plan import Unit
from evalspec.runner.events import Events
from evalspec.runner.executor import (
    Batch,
    Executor,
    GenerateItem,
    GroupSession,
    Item,
    LoglikelihoodItem,
)
from evalspec.runner.requests import engine_identity, generate_key, loglikelihood_key
from evalspec.spec.models import AdapterSpec, GenerationSpec
from evalspec.store import ResponseCache
from evalspec.store.cache import CachedResponse

Key = tuple[str, int]  # (sample id, index)
LOGLIKELIHOOD = "loglikelihood"


def turns_of(sample: Sample) -> int:
    return 1 + len(sample.turns)


def unit_keys(unit: Unit) -> list[Key]:
    """All keys of a unit, sample-major."""
    if unit.task.output_type == LOGLIKELIHOOD:
        return [(s.id, 0) for s in unit.samples]
    n = unit.attempts
    return [(s.id, t * n + i) for s in unit.samples for t in range(turns_of(s)) for i in range(n)]


@dataclass
class Outputs:
    """A unit's outputs so far: every key answered, which came from the cache, and what the
    generated ones cost."""

    completions: dict[Key, Completion] = field(default_factory=dict)
    cached: set[Key] = field(default_factory=set)
    generated: list[Completion] = field(default_factory=list)  # one per request sent
    stats: BatchStats = field(default_factory=lambda: BatchStats(0.0, 0, 0))
    fingerprint: dict[str, Any] | None = None  # the engine's, else a cached entry's
    load_s: float | None = None

    @property
    def errors(self) -> list[str]:
        return [c.error for c in self.completions.values() if c.error is not None]


class LazySession:
    """A model group's session, opened on first need; reopened after an engine failure; a
    failed load is remembered, not retried."""

    def __init__(
        self,
        executor: Executor,
        request: EngineRequest,
        events: Events,
        on_load: Callable[[str | None], None] = lambda _: None,
    ) -> None:
        self._executor, self.request, self._events = executor, request, events
        self._on_load = on_load  # called with "load:<model>" before a load, None after
        self._session: GroupSession | None = None
        self._error: InfraError | None = None
        self._load_s: float | None = None
        self._closed = False

    def get(self) -> GroupSession:
        if self._closed:
            raise InfraError(f"the run stopped before {self.request.model_id} was done")
        if self._error is not None:
            raise self._error
        if self._session is None or not self._session.usable:
            request = self.request
            self._events.message(f"loading {request.model_id} ({request.source.location})")
            self._on_load(f"load:{request.model_id}")
            try:
                self._session = self._executor.open(request)
            except InfraError as exc:
                self._error = exc
                raise
            finally:
                self._on_load(None)
            self._load_s = self._session.load_s
        return self._session

    def close(self) -> None:
        """Give the session's engines back; the session cannot be used again."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            session.close()

    def take_load_s(self) -> float | None:
        """The load time, to the first unit that asks after a load (None afterwards)."""
        load_s, self._load_s = self._load_s, None
        return load_s


Readings = Callable[[Sequence[dict[str, Any]]], None]


class Answers:
    """Answers requests from the response cache, else through the group's session; every
    chunk the session returns is cached before the next one is waited for.

    Safe to share between the driver's group threads: the cache is used under a lock.
    `readings` takes the monitor readings that come back with a chunk (Ray replicas)."""

    def __init__(
        self, cache: ResponseCache | None, events: Events, readings: Readings = lambda _: None
    ) -> None:
        self._cache, self._events, self._readings = cache, events, readings
        self._lock = threading.Lock()

    def misses(self, wanted: Sequence[tuple[Key, Item]]) -> int:
        """How many distinct requests of `wanted` the cache does not answer."""
        keys = {item.key for _, item in wanted}
        return len(keys) - len(self._hits(keys))

    def _hits(self, keys: Iterable[str]) -> dict[str, CachedResponse]:
        with self._lock:
            return self._cache.get_many(keys) if self._cache is not None else {}

    def fetch(
        self,
        session: LazySession,
        unit_id: str,
        adapter: AdapterSpec | None,
        params: GenerationSpec | None,
        wanted: Sequence[tuple[Key, Item]],
        out: Outputs,
    ) -> None:
        hits = self._hits(i.key for _, i in wanted)
        keys_of: dict[str, list[Key]] = {}
        items: dict[str, Item] = {}
        for key, item in wanted:
            hit = hits.get(item.key)
            if hit is not None:
                out.completions[key] = hit.completion
                out.cached.add(key)
                out.fingerprint = out.fingerprint or hit.engine_fingerprint
            else:  # equal requests (two samples with one prompt) go to the engine once
                keys_of.setdefault(item.key, []).append(key)
                items.setdefault(item.key, item)
        cached = len(wanted) - sum(len(keys) for keys in keys_of.values())
        if cached:
            self._events.outputs_done(unit_id, cached, cached=True, completion_tokens=0, wall_s=0.0)
        if not items:
            return
        self._events.message(
            f"running {unit_id} ({len(items)} of {len(wanted)} requests to the engine)"
        )
        group = session.get()
        load_s = session.take_load_s()
        out.load_s = out.load_s if load_s is None else load_s
        fingerprint = group.fingerprint()
        out.fingerprint = fingerprint
        for chunk in group.run(Batch(unit_id, adapter, params, tuple(items.values()))):
            self._persist(chunk.items, chunk.completions, chunk.fingerprint or fingerprint)
            if chunk.readings:
                self._readings(chunk.readings)
            for item, completion in zip(chunk.items, chunk.completions, strict=True):
                out.generated.append(completion)
                for key in keys_of[item.key]:
                    out.completions[key] = completion
            out.stats = BatchStats(
                out.stats.wall_s + chunk.stats.wall_s,
                out.stats.prompt_tokens + chunk.stats.prompt_tokens,
                out.stats.completion_tokens + chunk.stats.completion_tokens,
            )
            self._events.outputs_done(
                unit_id,
                sum(len(keys_of[item.key]) for item in chunk.items),
                cached=False,
                completion_tokens=chunk.stats.completion_tokens,
                wall_s=chunk.stats.wall_s,
            )

    def _persist(
        self,
        items: Sequence[Item],
        completions: Sequence[Completion],
        fingerprint: dict[str, Any],
    ) -> None:
        good = [(i.key, c) for i, c in zip(items, completions, strict=True) if c.error is None]
        with self._lock:
            if self._cache is None:
                return
            try:
                self._cache.put_many(good, fingerprint)
            except InfraError as exc:  # the run itself is still valid: go on without the cache
                self._events.message(f"warning: {exc}; continuing without the response cache")
                self._cache = None


def unit_outputs(unit: Unit, session: LazySession, answers: Answers) -> Outputs:
    """Every output of the unit: one fetch per turn (later turns need the earlier answers)."""
    out = Outputs()
    params = unit.task.generation if unit.task.output_type != LOGLIKELIHOOD else None
    for turn in range(_turns(unit)):
        wanted = turn_requests(unit, turn, out.completions)
        if wanted:
            answers.fetch(session, unit.unit_id, unit.adapter, params, wanted, out)
    return out


def turn_requests(unit: Unit, turn: int, known: Mapping[Key, Completion]) -> list[tuple[Key, Item]]:
    """The requests of one turn of the unit (`known`: the answers of earlier turns)."""
    engine = engine_identity(unit.identity)
    if unit.task.output_type == LOGLIKELIHOOD:
        return [
            ((s.id, 0), LoglikelihoodItem(loglikelihood_key(engine, pairs), pairs))
            for s, pairs in zip(unit.samples, unit.choice_pairs, strict=True)
        ]
    n, params = unit.attempts, unit.task.generation
    wanted: list[tuple[Key, Item]] = []
    for j, sample in enumerate(unit.samples):
        if turn >= turns_of(sample):
            continue
        for attempt in range(n):
            if not _earlier_turns_answered(sample, turn, attempt, n, known):
                continue
            prompt = _turn_prompt(unit, j, turn, attempt, known)
            seed = None if params.seed is None else params.seed + attempt
            item = GenerateItem(generate_key(engine, prompt, params, seed, attempt), prompt, seed)
            wanted.append(((sample.id, turn * n + attempt), item))
    return wanted


def _turns(unit: Unit) -> int:
    if unit.task.output_type == LOGLIKELIHOOD:
        return 1
    return max(turns_of(s) for s in unit.samples)


def _earlier_turns_answered(
    sample: Sample, turn: int, attempt: int, n: int, known: Mapping[Key, Completion]
) -> bool:
    for earlier in range(turn):
        answer = known.get((sample.id, earlier * n + attempt))
        if answer is None or answer.error is not None:
            return False
    return True


def _turn_prompt(
    unit: Unit, j: int, turn: int, attempt: int, known: Mapping[Key, Completion]
) -> Prompt:
    """Turn 0: the rendered prompt; later turns: the chat so far plus the next user turn."""
    prompt = unit.prompts[j]
    if turn == 0:
        return prompt
    sample = unit.samples[j]
    assert not isinstance(prompt, str)  # multi-turn samples need chat (checked when planned)
    messages = list(prompt)
    n = unit.attempts
    for earlier in range(turn):
        answer = known[(sample.id, earlier * n + attempt)].text
        messages.append({"role": "assistant", "content": answer})
        messages.append({"role": "user", "content": sample.turns[earlier]})
    return messages


def loglikelihoods_of(completion: Completion) -> list[float]:
    values: Any = json.loads(completion.text)
    return [float(v) for v in values]
