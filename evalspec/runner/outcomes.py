"""From a unit's completions to Scores, per-sample metric values, records and its UnitResult."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from pathlib import Path
from typing import Any

from evalspec.engines import Completion
from evalspec.plan import Unit
from evalspec.runner.generate import LOGLIKELIHOOD, Key, loglikelihoods_of, turns_of
from evalspec.scoring import aggregate, score_outputs
from evalspec.scoring.metrics import pass_at_k, pooled, slices
from evalspec.scoring.multiple_choice import choice_score
from evalspec.scoring.results import Score, UnitResult
from evalspec.spec.scorers import PASS_AT_K
from evalspec.store.runfiles import Record, TokenCounts

Attempts = list[list[Score]]  # per sample (plan order), one Score per attempt


def score_unit(unit: Unit, completions: Mapping[Key, Completion], base_dir: Path) -> Attempts:
    """Scores of every attempt of every sample (the last turn's output is scored)."""
    if unit.task.output_type == LOGLIKELIHOOD:
        return [
            [
                choice_score(
                    loglikelihoods_of(completions[(s.id, 0)]),
                    [cont for _, cont in unit.choice_pairs[j]],
                    s.gold,
                )
            ]
            for j, s in enumerate(unit.samples)
        ]
    n = unit.attempts
    flat_samples = [s for s in unit.samples for _ in range(n)]
    outputs = [
        completions[(s.id, (turns_of(s) - 1) * n + i)].text for s in unit.samples for i in range(n)
    ]
    flat = score_outputs(unit.task.scorer, flat_samples, outputs, base_dir)
    return [flat[j * n : (j + 1) * n] for j in range(len(unit.samples))]


def per_sample_value(metric: str, attempts: Sequence[Score]) -> float | None:
    """One sample's value of a metric over its attempts (None: no attempt could be scored).

    pass@k: the unbiased estimator over the scored attempts; anything else: their mean.
    A scorer that lists per-metric `values` has no value for a metric it left out
    (json's schema_valid without a schema).
    """
    scored = [a for a in attempts if not a.excluded]
    if not scored:
        return None
    pass_at = PASS_AT_K.match(metric)
    if pass_at:
        k = int(pass_at.group(1))
        if k > len(scored):
            return None
        return pass_at_k(len(scored), sum(1 for a in scored if a.value >= 1.0), k)
    values = [
        a.values[metric] if a.values else a.value
        for a in scored
        if not a.values or metric in a.values
    ]
    return sum(values) / len(values) if values else None


def unit_result(unit: Unit, attempts: Attempts, fingerprint: dict[str, Any]) -> UnitResult:
    """Metrics (clustered standard errors), paired per-sample outcomes and per-tag slices."""
    names = unit.task.metric_names
    per_metric = {name: [per_sample_value(name, a) for a in attempts] for name in names}
    clusters = [s.cluster for s in unit.samples]
    metrics, outcomes = {}, {}
    notes = []
    scored = any(not score.excluded for a in attempts for score in a)
    weights = _weights(names, attempts)
    for name, values in per_metric.items():
        kept = [j for j, v in enumerate(values) if v is not None]
        if not kept and scored:  # the scorer does not report it here (no schema, ...)
            notes.append(f"{name}: no sample has a value for it (not reported)")
            continue
        if not kept:
            return failed(unit, f"no sample has a value for {name} ({_excluded_note(attempts)})")
        kept_values = [float(values[j] or 0.0) for j in kept]
        if name in weights:
            kept_values = pooled(kept_values, [weights[name][j] for j in kept])
        metrics[name] = aggregate(name, kept_values, [clusters[j] for j in kept])
        outcomes[name] = {unit.samples[j].id: v for j, v in zip(kept, kept_values, strict=True)}
    if not metrics:
        return failed(unit, "; ".join(notes))
    first = next(iter(outcomes.values()))
    result = _unit_result(
        unit,
        metrics=metrics,
        outcomes=first,
        metric_outcomes={m: o for m, o in outcomes.items() if o != first},
        clusters={s.id: s.cluster for s in unit.samples if s.cluster is not None},
        slices=slices([s.tags for s in unit.samples], per_metric, clusters, weights=weights),
        fingerprint=fingerprint,
        notes=notes,
    )
    excluded = sum(1 for a in attempts for s in a if s.excluded)
    if excluded:
        result.notes.append(_excluded_note(attempts))
    return result


def _weights(names: Sequence[str], attempts: Attempts) -> dict[str, list[float]]:
    """metric -> per-sample weight, for metrics the scorer pools (Score.weights)."""
    out: dict[str, list[float]] = {}
    for name in names:
        per_sample = [
            next((s.weights[name] for s in a if name in s.weights), None) for a in attempts
        ]
        if any(w is not None for w in per_sample):
            out[name] = [1.0 if w is None else w for w in per_sample]
    return out


def _excluded_note(attempts: Attempts) -> str:
    excluded = sum(1 for a in attempts for s in a if s.excluded)
    total = sum(len(a) for a in attempts)
    return f"{excluded} of {total} outputs could not be scored and were left out"


def records(
    unit: Unit,
    completions: Mapping[Key, Completion],
    attempts: Attempts,
    cached: Set[Key],
    judged: Mapping[Key, str] | None = None,
) -> list[Record]:
    """One record per (sample, attempt): prompt, output(s), score and what the scorer saw."""
    out = []
    loglikelihood = unit.task.output_type == LOGLIKELIHOOD
    n = unit.attempts
    for j, (sample, prompt) in enumerate(zip(unit.samples, unit.prompts, strict=True)):
        for i, score in enumerate(attempts[j]):
            keys = (
                [(sample.id, 0)]
                if loglikelihood
                else [(sample.id, t * n + i) for t in range(turns_of(sample))]
            )
            last = completions[keys[-1]]
            output = last.text
            if loglikelihood:
                picked = int(score.extracted or 0)
                label = sample.option_labels()[picked] if sample.option_labels() else str(picked)
                output = label if sample.contexts else f"{label}: {sample.choices[picked]}"
            out.append(
                Record(
                    unit_id=unit.unit_id,
                    unit_hash=unit.hash,
                    sample_id=sample.id,
                    sample_index=i,
                    prompt=prompt,
                    output=output,
                    target=sample.target,
                    score=score.value,
                    extracted=score.extracted,
                    detail=score.detail,
                    isolation=score.isolation,
                    finish_reason=last.finish_reason,
                    tokens=TokenCounts(
                        prompt=sum(completions[k].prompt_tokens for k in keys),
                        completion=sum(completions[k].completion_tokens for k in keys),
                    ),
                    latency_s=last.latency_s,
                    cached=all(k in cached for k in keys),
                    values=dict(score.values),
                    excluded=score.excluded,
                    turns=[completions[k].text for k in keys] if len(keys) > 1 else None,
                    loglikelihoods=loglikelihoods_of(last) if loglikelihood else None,
                    judge=[judged[k] for k in keys if k in judged] if judged is not None else None,
                    tags=dict(sample.tags),
                    cluster=sample.cluster,
                )
            )
    return out


def failed(unit: Unit, message: str) -> UnitResult:
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
