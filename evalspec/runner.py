"""Execute a Plan: one engine per model group, one batched call per unit, records appended.

Public entry point: `execute`. It hands each finished unit's records to the run
(appended and fsynced at once) and returns the UnitResults for the gate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evalspec.engines import Completion, EnginePool
from evalspec.errors import InfraError
from evalspec.monitor import unit_perf
from evalspec.paths import canonical_json, sha256_bytes
from evalspec.plan import Plan, Unit
from evalspec.scoring import aggregate, score_outputs
from evalspec.scoring.results import Score, UnitResult
from evalspec.store import Run

Progress = Callable[[str], None]


@dataclass
class Execution:
    results: list[UnitResult]
    perf: dict[str, dict[str, Any]]  # unit id -> UnitPerf as a dict


def execute(plan: Plan, run: Run, pool: EnginePool, progress: Progress) -> Execution:
    results: list[UnitResult] = []
    perf: dict[str, dict[str, Any]] = {}
    fingerprints: dict[str, dict[str, Any]] = {}
    for group in plan.groups:
        loads_before = pool.loads
        try:
            progress(f"loading {group.request.model_id} ({group.request.source.location})")
            engine = pool.get(group.request)
            fingerprint = engine.fingerprint()
        except InfraError as exc:
            results.extend(_failed(unit, str(exc)) for unit in group.units)
            continue
        fingerprints[group.request.model_id] = fingerprint
        run.annotate("engine_fingerprints", fingerprints)
        # the load time counts once, on the group's first unit, and only if this run loaded it
        load_s = getattr(engine, "load_s", None) if pool.loads > loads_before else None
        for unit in group.units:
            progress(f"running {unit.unit_id} ({len(unit.samples)} samples)")
            try:
                completions, stats = engine.generate(
                    list(unit.prompts), unit.task.generation, unit.adapter
                )
            except Exception as exc:  # the engine failed on this unit: record it, go on
                results.append(_failed(unit, f"engine failed: {type(exc).__name__}: {exc}"))
                continue
            texts = [c.text for c in completions]
            scores = score_outputs(unit.task.scorer, list(unit.samples), texts)
            run.append_records(_records(unit, completions, scores))
            perf[unit.unit_id] = unit_perf(stats, completions, load_s).to_dict()
            load_s = None
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


def _records(
    unit: Unit, completions: list[Completion], scores: list[Score]
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
        }
        for sample, prompt, completion, score in zip(
            unit.samples, unit.prompts, completions, scores, strict=True
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
