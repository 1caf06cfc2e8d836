"""The adaptive loop: per look, the next prefix of every undecided unit, run, observed, decided.

It uses the runner only through `execute` (any executor plugs in unchanged) and
the response cache, which is keyed per request: a look runs a sub-plan whose units
hold the next prefix of their seeded order, so the prefix's earlier samples come
back from the cache for free and only the new ones are generated. Looks run into
scratch runs (deleted afterwards); their outputs are scored, each rule observes
the paired differences of the new units in order, and `decide_all` decides every
rule of the check at once (Holm per side). Model groups are looped one after
another, so each model's engine loads once (the executor keeps it resident between
`execute` calls); units without a sequential rule run their budget once, after
their group's looks. At the end one `execute` over every unit's final prefix, all
of it cached, writes the real run's records and results once.

With ``cache=None`` (``--no-cache``) the looks share a scratch cache that lives
only as long as the run.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from evalspec.adaptive.tracks import SCORE_SPAN, Gated, Track
from evalspec.errors import InfraError
from evalspec.gate.baseline import rounded
from evalspec.gate.sequential import SequentialRule, decide_all
from evalspec.monitor import Sampler
from evalspec.monitor.perf import UnitPerf
from evalspec.plan import ModelGroup, Plan, Unit
from evalspec.runner import Events, Execution, Executor, execute
from evalspec.scoring.results import UnitResult
from evalspec.store import ResponseCache, Run, RunStore

LOOKS_DIR = ".looks-"
T = TypeVar("T")


@dataclass
class AdaptiveRun:
    """The final execution (the real run's results) and every track's state at the end."""

    execution: Execution
    tracks: list[Track]


def run_adaptive(
    tracks: list[Track],
    plan: Plan,
    run: Run,
    executor: Executor,
    events: Events,
    cache: ResponseCache | None,
    base_dir: Path,
) -> AdaptiveRun:
    """Run ``plan`` adaptively into ``run``, one track per unit (`build_tracks`)."""
    by_id = {track.unit_id: track for track in tracks}
    family = [gated.test for track in tracks for gated in track.gated]
    with tempfile.TemporaryDirectory(prefix=LOOKS_DIR, dir=run.path) as scratch:
        store = RunStore(Path(scratch))
        scratch_cache = ResponseCache(Path(scratch) / "responses.sqlite") if cache is None else None
        looks = _Looks(plan, store, executor, events, cache or scratch_cache, base_dir)
        try:
            for group in plan.groups:
                group_tracks = [by_id[unit.unit_id] for unit in group.units]
                looping = [track for track in group_tracks if track.gated]
                while looping:
                    looks.look(group, looping, family)
                    looping = [track for track in looping if not track.done]
                rest = [track for track in group_tracks if not track.gated]
                if rest:
                    looks.budget(group, rest)
            # a unit that failed at a look keeps that failure (not retried: its error is the
            # run's, as in a fixed run)
            prefixes = {t.unit_id: t.sample_ids(t.reached) for t in tracks if t.failed is None}
            final = _sub_plan(plan, prefixes)
            execution = execute(final, run, executor, events, cache or scratch_cache, base_dir)
            failed = {t.unit_id: t.failed for t in tracks if t.failed is not None}
            if failed:
                done = {result.unit_id: result for result in execution.results}
                execution.results = [
                    done.get(unit.unit_id) or failed[unit.unit_id] for unit in plan.units
                ]
        finally:
            if scratch_cache is not None:
                scratch_cache.close()
    return AdaptiveRun(execution, tracks)


class _Looks:
    """Executes looks into scratch runs and feeds their outcomes to the tracks' rules."""

    def __init__(
        self,
        plan: Plan,
        store: RunStore,
        executor: Executor,
        events: Events,
        cache: ResponseCache | None,
        base_dir: Path,
    ) -> None:
        self.plan, self.store, self.executor = plan, store, executor
        self.events, self.cache, self.base_dir = events, cache, base_dir
        self.count = 0

    def look(self, group: ModelGroup, tracks: list[Track], family: list[SequentialRule]) -> None:
        """The next prefix of each track, scored; every rule observes, then all are decided."""
        targets = {track.unit_id: track.next_point() for track in tracks}
        execution = self._run(group, {t.unit_id: t.sample_ids(targets[t.unit_id]) for t in tracks})
        results = {result.unit_id: result for result in execution.results}
        for track in tracks:
            track.looked += 1
            track.reached = targets[track.unit_id]
            track.generated += _generated(execution.perf.get(track.unit_id))
            result = results[track.unit_id]
            if result.error is not None:
                track.failed = result
            else:
                _feed(track, result, targets[track.unit_id])
        decisions = dict(zip(map(id, family), decide_all(family), strict=True))
        for track in tracks:
            for gated in track.gated:
                gated.decision = decisions[id(gated.test)]
            self.events.message(_look_line(self.count, track))

    def budget(self, group: ModelGroup, tracks: list[Track]) -> None:
        """Units without a sequential rule: their whole budget at once."""
        execution = self._run(group, {t.unit_id: t.sample_ids(t.budget) for t in tracks})
        for track in tracks:
            track.looked += 1
            track.fed = track.reached = track.budget
            track.generated += _generated(execution.perf.get(track.unit_id))

    def _run(self, group: ModelGroup, prefixes: Mapping[str, set[str]]) -> Execution:
        self.count += 1
        plan = _sub_plan(dataclasses.replace(self.plan, groups=(group,)), prefixes)
        run = self.store.create(self.plan.spec_name, {"units": []})
        return execute(plan, run, self.executor, _Quiet(self.events), self.cache, self.base_dir)


def _feed(track: Track, result: UnitResult, target: int) -> None:
    """Each rule observes the paired differences of the units from ``track.fed`` to ``target``."""
    new = track.order[track.fed : target]
    sizes = [len(unit) for unit in new]
    assert track.baseline is not None
    for gated in track.gated:
        candidate = result.outcomes_for(gated.metric)
        reference = track.baseline.samples_for(gated.metric)
        differences = []
        for unit in new:
            missing = [sid for sid in unit if sid not in candidate]
            if missing:
                raise InfraError(
                    f"{track.unit_id}: sample {missing[0]} has no {gated.metric} score; "
                    "the adaptive gate needs one per sample"
                )
            scores = [rounded(candidate[sid]) for sid in unit]
            if not all(0.0 <= score <= SCORE_SPAN for score in scores):
                raise InfraError(
                    f"{track.unit_id}: a {gated.metric} score outside [0, 1] ({scores}); the "
                    "adaptive gate needs bounded scores: run this task in a fixed samples mode"
                )
            diffs = [score - reference[sid] for score, sid in zip(scores, unit, strict=True)]
            differences.append(gated.sign * float(np.mean(diffs)))
        gated.test.observe(differences, sizes)
    track.fed = target


def _sub_plan(plan: Plan, prefixes: Mapping[str, set[str]]) -> Plan:
    """The plan's units that have a prefix, each holding only those samples (in plan order)."""
    groups = []
    for group in plan.groups:
        units = tuple(
            _prefix(unit, prefixes[unit.unit_id])
            for unit in group.units
            if prefixes.get(unit.unit_id)
        )
        if units:
            groups.append(ModelGroup(request=group.request, units=units))
    return dataclasses.replace(plan, groups=tuple(groups))


def _prefix(unit: Unit, ids: set[str]) -> Unit:
    """The unit with only the samples in ``ids`` (its hash, the configuration's identity, kept)."""
    keep = [i for i, sample in enumerate(unit.samples) if sample.id in ids]
    return dataclasses.replace(
        unit,
        samples=tuple(unit.samples[i] for i in keep),
        prompts=tuple(unit.prompts[i] for i in keep),
        choice_pairs=_pick(unit.choice_pairs, keep),
    )


def _pick(values: tuple[T, ...], keep: Iterable[int]) -> tuple[T, ...]:
    return tuple(values[i] for i in keep) if values else ()


def _generated(perf: UnitPerf | None) -> int:
    return perf.measured_outputs if perf is not None else 0


def _look_line(number: int, track: Track) -> str:
    where = f"{track.fed} of {track.budget} {track.units}"
    if track.failed is not None:
        return f"look {number}: {track.unit_id} failed after {where}: {track.failed.error}"
    return f"look {number}: {track.unit_id} {where}: " + ", ".join(map(_state, track.gated))


def _state(gated: Gated) -> str:
    """E.g. "accuracy CONTINUE [-0.120, +0.095]": the state and the running interval."""
    if gated.decision is None:
        return gated.metric
    low, high = gated.in_metric_direction(gated.decision.low, gated.decision.high)
    return f"{gated.metric} {gated.decision.state} [{low:+.3f}, {high:+.3f}]"


class _Quiet:
    """A look's events: messages (loading, requests to the engine) go through, the rest not."""

    def __init__(self, events: Events) -> None:
        self._events = events

    def message(self, text: str) -> None:
        self._events.message(text)

    def run_started(self, plan: Plan, sampler: Sampler) -> None:
        return None

    def unit_started(self, unit_id: str, outputs: int) -> None:
        return None

    def outputs_done(
        self, unit_id: str, count: int, *, cached: bool, completion_tokens: int, wall_s: float
    ) -> None:
        return None

    def unit_finished(self, unit_id: str, result: UnitResult, perf: UnitPerf | None) -> None:
        return None

    def run_finished(self) -> None:
        return None
