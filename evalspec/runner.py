"""Execute a Plan: one engine per model group, one batched call per unit, records appended.

Public entry point: `execute`. It takes what it can from the response cache,
generates the rest, hands each finished unit's records to the run (appended and
fsynced at once) and returns the UnitResults for the gate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evalspec.engines import Completion, Engine, EnginePool, EngineRequest
from evalspec.errors import InfraError
from evalspec.monitor import CHART_FILE, MONITOR_FILE, Sampler, interval_from_env, unit_perf
from evalspec.monitor import write_chart as write_monitor_chart
from evalspec.paths import canonical_json, sha256_bytes
from evalspec.plan import Plan, Unit
from evalspec.scoring import aggregate, score_outputs
from evalspec.scoring.results import Score, UnitResult
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
) -> Execution:
    """`_execute` under the resource monitor: its ticks go to monitor.jsonl (+ monitor.svg),
    each generated unit's summary joins its perf dict, the GPUs found join the manifest."""
    sampler = Sampler(run.path / MONITOR_FILE, interval_s=interval_from_env())
    run.annotate("monitor", sampler.describe())
    try:
        sampler.start()
        execution = _execute(plan, run, pool, progress, cache, sampler)
    finally:
        sampler.stop()
        write_monitor_chart(sampler.ticks, run.path / CHART_FILE)
    for unit_id, measured in execution.perf.items():
        if not measured.get("cached"):  # a fully cached unit ran nothing to measure
            measured.update(sampler.summary(unit_id))
    return execution


def _execute(
    plan: Plan,
    run: Run,
    pool: EnginePool,
    progress: Progress,
    cache: ResponseCache | None,
    sampler: Sampler,
) -> Execution:
    """Run every unit; with a cache, generate only the samples it lacks and store the new ones.

    A model group's engine loads on its first unit with a missing sample, so a
    fully cached group never loads. A load that fails fails the group's units
    that needed it; the others (and the other groups) still run.
    """
    results: list[UnitResult] = []
    perf: dict[str, dict[str, Any]] = {}
    fingerprints: dict[str, dict[str, Any]] = {}
    for group in plan.groups:
        lazy = _LazyEngine(pool, group.request, progress)
        for unit in group.units:
            sampler.begin(unit.unit_id)
            keys = [(s.id, 0) for s in unit.samples]
            hits = cache.get_many(unit.hash, keys) if cache is not None else {}
            missing = [i for i, key in enumerate(keys) if key not in hits]
            progress(
                f"running {unit.unit_id} ({len(missing)} of {len(unit.samples)} samples"
                f"{', the rest cached' if len(missing) < len(keys) else ''})"
            )
            new: dict[int, Completion] = {}
            if missing:
                sampler.begin(f"load:{group.request.model_id}")  # (no time if already loaded)
                try:
                    engine, fingerprint, load_s = lazy.get()
                except InfraError as exc:
                    results.append(_failed(unit, str(exc)))
                    continue
                sampler.begin(unit.unit_id)
                fingerprints[group.request.model_id] = fingerprint
                run.annotate("engine_fingerprints", fingerprints)
                try:
                    generated, stats = engine.generate(
                        [unit.prompts[i] for i in missing], unit.task.generation, unit.adapter
                    )
                except Exception as exc:  # the engine failed on this unit: record it, go on
                    results.append(_failed(unit, f"engine failed: {type(exc).__name__}: {exc}"))
                    continue
                new = dict(zip(missing, generated, strict=True))
                if cache is not None:  # before the records: a killed run keeps this unit
                    good = [(keys[i], c) for i, c in new.items() if c.error is None]
                    cache.put_many(unit.hash, good, fingerprint)
                errors = [c.error for c in generated if c.error is not None]
                if errors:  # endpoint failures are infrastructure, never scored as model errors
                    results.append(_failed(unit, _sample_errors(errors, len(generated))))
                    continue
                perf[unit.unit_id] = unit_perf(stats, generated, load_s).to_dict()
                if hits:
                    perf[unit.unit_id]["cached_samples"] = len(hits)
            else:  # nothing generated: no throughput to report
                fingerprint = next((h.engine_fingerprint for h in hits.values()), {})
                fingerprints.setdefault(group.request.model_id, fingerprint)
                run.annotate("engine_fingerprints", fingerprints)
                perf[unit.unit_id] = {"cached": True, "cached_samples": len(hits)}
            completions = [
                new[i] if i in new else hits[key].completion for i, key in enumerate(keys)
            ]
            cached = [i not in new for i in range(len(keys))]
            texts = [c.text for c in completions]
            scores = score_outputs(unit.task.scorer, list(unit.samples), texts)
            run.append_records(_records(unit, completions, scores, cached))
            unit_fingerprint = {
                **fingerprint,
                "model_digest": unit.identity["model"]["source"],
                "adapter_digest": unit.identity["adapter"],
                "prompt_digest": sha256_bytes(canonical_json(unit.identity["prompt"]).encode()),
            }
            isolation = {s.isolation for s in scores if s.isolation is not None}
            if isolation:  # code_exec units: the sandbox that ran them
                unit_fingerprint["sandbox"] = ",".join(sorted(isolation))
            results.append(_result(unit, scores, unit_fingerprint))
    return Execution(results, perf)


class _LazyEngine:
    """A model group's engine, loaded on first use; a failed load is remembered, not retried."""

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


def _records(
    unit: Unit, completions: list[Completion], scores: list[Score], cached: list[bool]
) -> list[dict[str, Any]]:
    return [
        {
            "unit_id": unit.unit_id,
            "unit_hash": unit.hash,
            "sample_id": sample.id,
            "sample_index": 0,
            "prompt": prompt,
            "output": completion.text,
            "target": sample.target,
            "score": score.value,
            "extracted": score.extracted,
            "detail": score.detail,
            "isolation": score.isolation,
            "finish_reason": completion.finish_reason,
            "tokens": {
                "prompt": completion.prompt_tokens,
                "completion": completion.completion_tokens,
            },
            "latency_s": completion.latency_s,
            "cached": was_cached,
        }
        for sample, prompt, completion, score, was_cached in zip(
            unit.samples, unit.prompts, completions, scores, cached, strict=True
        )
    ]


def _result(unit: Unit, scores: list[Score], fingerprint: dict[str, Any]) -> UnitResult:
    values = [s.value for s in scores]
    return _unit_result(
        unit,
        metrics={name: aggregate(name, values) for name in unit.task.metric_names},
        outcomes={s.id: score.value for s, score in zip(unit.samples, scores, strict=True)},
        fingerprint=fingerprint,
    )


def _sample_errors(errors: list[str], total: int) -> str:
    return f"{len(errors)} of {total} samples failed at the engine (not scored): {errors[0]}"


def _failed(unit: Unit, message: str) -> UnitResult:
    return _unit_result(unit, error=message)


def _unit_result(unit: Unit, **fields: Any) -> UnitResult:
    return UnitResult(
        unit_id=unit.unit_id,
        unit_hash=unit.hash,
        model=unit.model.id,
        adapter=unit.adapter.id if unit.adapter else None,
        task=unit.task.id,
        **fields,
    )
