"""execute: generate (or take from the cache) every unit's outputs, judge, score, record.

Units whose scorer is a judge wait until all model groups have generated; then each
judge model loads once (no load when it is the resident last model) and rates them.
Records of a unit are appended (and fsynced) as soon as it is scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalspec.engines import Completion, Engine, EnginePool, EngineRequest
from evalspec.errors import InfraError
from evalspec.monitor import CHART_FILE, MONITOR_FILE, Sampler, interval_from_env, unit_perf
from evalspec.monitor import write_chart as write_monitor_chart
from evalspec.paths import canonical_json, sha256_bytes
from evalspec.plan import Plan, Unit
from evalspec.runner.generate import Key, produce, unit_keys
from evalspec.runner.judging import (
    Pending,
    attach_fingerprint,
    judge_hash,
    judge_requests,
    judged_attempts,
    run_judge,
)
from evalspec.runner.outcomes import Attempts, failed, records, score_unit, unit_result
from evalspec.scoring.results import UnitResult
from evalspec.store import ResponseCache, Run

Progress = Callable[[str], None]


@dataclass
class Execution:
    results: list[UnitResult]
    perf: dict[str, dict[str, Any]]  # unit id -> UnitPerf as a dict + the monitor summary


def execute(
    plan: Plan,
    run: Run,
    pool: EnginePool,
    progress: Progress,
    cache: ResponseCache | None = None,
    base_dir: Path | None = None,
) -> Execution:
    """`_Executor.run` under the resource monitor: its ticks go to monitor.jsonl
    (+ monitor.svg), each generated unit's summary joins its perf dict."""
    sampler = Sampler(run.path / MONITOR_FILE, interval_s=interval_from_env())
    run.annotate("monitor", sampler.describe())
    executor = _Executor(plan, run, pool, progress, cache, sampler, base_dir or Path.cwd())
    try:
        sampler.start()
        execution = executor.run()
    finally:
        sampler.stop()
        write_monitor_chart(sampler.ticks, run.path / CHART_FILE)
    for unit_id, measured in execution.perf.items():
        if not measured.get("cached"):  # a fully cached unit ran nothing to measure
            measured.update(sampler.summary(unit_id))
    return execution


class _Executor:
    def __init__(
        self,
        plan: Plan,
        run: Run,
        pool: EnginePool,
        progress: Progress,
        cache: ResponseCache | None,
        sampler: Sampler,
        base_dir: Path,
    ) -> None:
        self.plan, self.run_, self.pool, self.progress = plan, run, pool, progress
        self.cache, self.sampler, self.base_dir = cache, sampler, base_dir
        self.results: dict[str, UnitResult] = {}
        self.perf: dict[str, dict[str, Any]] = {}
        self.fingerprints: dict[str, dict[str, Any]] = {}
        self.pending: list[Pending] = []

    def run(self) -> Execution:
        for group in self.plan.groups:
            lazy = _LazyEngine(self.pool, group.request, self.progress)
            for unit in group.units:
                self._generate(unit, lazy)
        self._judge_all()
        order = [u.unit_id for u in self.plan.units]
        return Execution([self.results[u] for u in order if u in self.results], self.perf)

    def _generate(self, unit: Unit, lazy: _LazyEngine) -> None:
        """Generate what the cache lacks; score now, or queue for the judge."""
        self.sampler.begin(unit.unit_id)
        keys = unit_keys(unit)
        hits = self.cache.get_many(unit.hash, keys) if self.cache is not None else {}
        have = {k: h.completion for k, h in hits.items()}
        missing = len(keys) - len(have)
        self.progress(
            f"running {unit.unit_id} ({missing} of {len(keys)} outputs"
            f"{', the rest cached' if have else ''})"
        )
        model_id = unit.model.id
        if missing:
            self.sampler.begin(f"load:{model_id}")  # (no time if already loaded)
            try:
                engine, fingerprint, load_s = lazy.get()
            except InfraError as exc:
                self.results[unit.unit_id] = failed(unit, str(exc))
                return
            self.sampler.begin(unit.unit_id)
            self._note_fingerprint(model_id, fingerprint)
            try:
                new, stats = produce(engine, unit, have)
            except InfraError as exc:
                self.results[unit.unit_id] = failed(unit, str(exc))
                return
            except Exception as exc:  # the engine failed on this unit: record it, go on
                self.results[unit.unit_id] = failed(
                    unit, f"engine failed: {type(exc).__name__}: {exc}"
                )
                return
            if not self._store(unit.hash, new, fingerprint, unit):
                return
            self.perf[unit.unit_id] = unit_perf(stats, list(new.values()), load_s).to_dict()
            if unit.task.output_type == "loglikelihood":  # scores prompts: no tokens generated
                for measure in ("tokens_per_s", "latency_p50_s", "latency_p95_s"):
                    self.perf[unit.unit_id].pop(measure, None)
            if have:
                self.perf[unit.unit_id]["cached_samples"] = len(have)
        else:  # nothing generated: no throughput to report
            fingerprint = next((h.engine_fingerprint for h in hits.values()), {})
            self.fingerprints.setdefault(model_id, fingerprint)
            self.run_.annotate("engine_fingerprints", self.fingerprints)
            self.perf[unit.unit_id] = {"cached": True, "cached_samples": len(have)}
            new = {}
        completions = {**have, **new}
        cached = {k: k not in new for k in keys}
        unit_fingerprint = _unit_fingerprint(unit, fingerprint)
        if unit.judge is not None:
            self.pending.append(Pending(unit, completions, cached, unit_fingerprint))
            return
        try:
            attempts = score_unit(unit, completions, self.base_dir)
        except InfraError as exc:
            self.results[unit.unit_id] = failed(unit, str(exc))
            return
        self._finish(unit, completions, attempts, cached, unit_fingerprint)

    def _judge_all(self) -> None:
        """Rate the pending units, judge by judge (each judge engine loads once)."""
        by_judge: dict[str, list[Pending]] = {}
        requests: dict[str, EngineRequest] = {}
        for pending in self.pending:
            assert pending.unit.judge is not None
            request = pending.unit.judge.request
            by_judge.setdefault(request.key, []).append(pending)
            requests[request.key] = request
        resident = self.plan.groups[-1].request.key if self.plan.groups else None
        for key, group in sorted(by_judge.items(), key=lambda item: item[0] != resident):
            lazy = _LazyEngine(self.pool, requests[key], self.progress)
            for pending in group:
                self._judge(pending, lazy)

    def _judge(self, pending: Pending, lazy: _LazyEngine) -> None:
        unit = pending.unit
        self.sampler.begin(f"judge:{unit.unit_id}")
        hash_ = judge_hash(unit)
        keys = list(pending.completions)
        hits = self.cache.get_many(hash_, keys) if self.cache is not None else {}
        have = {k: h.completion for k, h in hits.items()}
        wanted = judge_requests(pending, have)
        self.progress(f"judging {unit.unit_id} ({len(wanted)} of {len(keys)} ratings)")
        fingerprint = next((h.engine_fingerprint for h in hits.values()), {})
        if wanted:
            try:
                engine, fingerprint, _ = lazy.get()
                new = run_judge(engine, pending, have)
            except InfraError as exc:
                self.results[unit.unit_id] = failed(unit, f"judge: {exc}")
                return
            except Exception as exc:
                self.results[unit.unit_id] = failed(
                    unit, f"judge engine failed: {type(exc).__name__}: {exc}"
                )
                return
            if not self._store(hash_, new, fingerprint, unit):
                return
            have.update(new)
        attach_fingerprint(pending, fingerprint)
        attempts = judged_attempts(pending, have)
        judged = {k: c.text for k, c in have.items()}
        self._finish(
            unit, pending.completions, attempts, pending.cached, pending.fingerprint, judged
        )

    def _store(
        self, hash_: str, new: dict[Key, Completion], fingerprint: dict[str, Any], unit: Unit
    ) -> bool:
        """Cache the good completions (before the records: a killed run keeps them); False
        when some failed at the engine (an infrastructure error, never scored)."""
        if self.cache is not None:
            good = [(k, c) for k, c in new.items() if c.error is None]
            self.cache.put_many(hash_, good, fingerprint)
        errors = [c.error for c in new.values() if c.error is not None]
        if errors:
            self.results[unit.unit_id] = failed(
                unit,
                f"{len(errors)} of {len(new)} outputs failed at the engine (not scored): "
                f"{errors[0]}",
            )
            return False
        return True

    def _finish(
        self,
        unit: Unit,
        completions: dict[Key, Completion],
        attempts: Attempts,
        cached: dict[Key, bool],
        fingerprint: dict[str, Any],
        judged: dict[Key, str] | None = None,
    ) -> None:
        isolation = {s.isolation for a in attempts for s in a if s.isolation is not None}
        if isolation:  # code_exec units: the sandbox that ran them
            fingerprint["sandbox"] = ",".join(sorted(isolation))
        self.run_.append_records(records(unit, completions, attempts, cached, judged))
        self.results[unit.unit_id] = unit_result(unit, attempts, fingerprint)

    def _note_fingerprint(self, model_id: str, fingerprint: dict[str, Any]) -> None:
        self.fingerprints[model_id] = fingerprint
        self.run_.annotate("engine_fingerprints", self.fingerprints)


def _unit_fingerprint(unit: Unit, fingerprint: dict[str, Any]) -> dict[str, Any]:
    return {
        **fingerprint,
        "model_digest": unit.identity["model"]["source"],
        "adapter_digest": unit.identity["adapter"],
        "prompt_digest": sha256_bytes(canonical_json(unit.identity["prompt"]).encode()),
    }


class _LazyEngine:
    """A model's engine, loaded on first use; a failed load is remembered, not retried."""

    def __init__(self, pool: EnginePool, request: EngineRequest, progress: Progress) -> None:
        self._pool, self._request, self._progress = pool, request, progress
        self._loaded: tuple[Engine, dict[str, Any]] | None = None
        self._error: InfraError | None = None
        self._load_s: float | None = None

    def get(self) -> tuple[Engine, dict[str, Any], float | None]:
        """The engine, its fingerprint, and its load time the first time only (None after,
        and None when the pool already held it)."""
        if self._error is not None:
            raise self._error
        if self._loaded is None:
            request = self._request
            loads_before = self._pool.loads
            try:
                self._progress(f"loading {request.model_id} ({request.source.location})")
                engine = self._pool.get(request)
                self._loaded = (engine, engine.fingerprint())
            except InfraError as exc:
                self._error = exc
                raise
            if self._pool.loads > loads_before:
                self._load_s = getattr(engine, "load_s", None)
        load_s, self._load_s = self._load_s, None
        return (*self._loaded, load_s)
