"""What the gate takes from an adaptive run: decisions, the observed samples' baseline, an account.

- `sequential_findings`: each sequential rule's final decision as the gate's finding
  for that max_drop rule: PASS → PASS, FAIL → FAIL, budget reached inconclusive →
  WARN, with the running interval (or the fixed-n fallback's at the budget) in the
  metric's own direction and the Holm-adjusted anytime-valid p-value of the side
  that decided;
- `observed_baseline`: the baseline restricted to the samples the run observed
  (metrics recomputed over them), so that every row compares the same samples on
  both sides (floors, fixed-n rules and flips see only what was observed);
- `account`: per rule the units used of the budget, the interval and why it
  stopped; per unit the samples used of the budget and the outputs generated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evalspec.adaptive.loop import AdaptiveRun
from evalspec.adaptive.tracks import Gated, Track
from evalspec.gate import Baseline, BaselineMetric, BaselineUnit, Status
from evalspec.gate.adaptive import SEQUENTIAL_TEST, AdaptiveAccount, AdaptiveRule, AdaptiveUnit
from evalspec.gate.baseline import rounded
from evalspec.gate.rules import SequentialFinding
from evalspec.gate.sequential import Decision, State
from evalspec.monitor.perf import UnitPerf
from evalspec.scoring.metrics import aggregate

EXACT_TEST = "sequential-exact"  # the benchmark target: the samples left cannot change the side
_MEAN_TOLERANCE = 1e-5
_STATUS = {State.PASS: Status.PASS, State.FAIL: Status.FAIL, State.BUDGET: Status.WARN}

Key = tuple[str, str, int]  # (unit id, metric, thresholds rule index)


@dataclass(frozen=True)
class AdaptiveGate:
    """`evaluate`'s inputs from an adaptive run."""

    baseline: Baseline | None  # cut to the observed samples
    sequential: dict[Key, SequentialFinding]
    account: AdaptiveAccount


def gate_inputs(baseline: Baseline | None, run: AdaptiveRun) -> AdaptiveGate:
    return AdaptiveGate(
        observed_baseline(baseline, run.tracks),
        sequential_findings(run.tracks),
        account(run.tracks, run.execution.perf),
    )


def sequential_findings(tracks: Sequence[Track]) -> dict[Key, SequentialFinding]:
    return {
        (track.unit_id, gated.metric, gated.index): _finding(track, gated)
        for track in tracks
        for gated in track.gated
    }


def _finding(track: Track, gated: Gated) -> SequentialFinding:
    decision = gated.decision
    if decision is None or not decision.final:
        return SequentialFinding(
            Status.WARN,
            f"stopped undecided after {track.fed} of {track.budget} {track.units}: "
            f"{track.failed.error if track.failed is not None else 'the run ended first'}",
            *_interval(gated, decision),
            _confidence(gated, decision),
            None,
            SEQUENTIAL_TEST,
        )
    p_value = {State.PASS: decision.p_pass, State.FAIL: decision.p_fail}.get(decision.state)
    return SequentialFinding(
        _STATUS[decision.state],
        decision.reason,
        *_interval(gated, decision),
        _confidence(gated, decision),
        p_value if decision.fallback is None else None,
        _test(decision),
    )


def _interval(gated: Gated, decision: Decision | None) -> tuple[float | None, float | None]:
    """The decision's interval of candidate - baseline in the metric's own direction."""
    if decision is None:
        return None, None
    fixed = decision.fallback
    low, high = (fixed.low, fixed.high) if fixed is not None else (decision.low, decision.high)
    return gated.in_metric_direction(low, high)


def _confidence(gated: Gated, decision: Decision | None) -> float:
    if decision is not None and decision.fallback is not None:
        return decision.fallback.confidence
    return 1.0 - gated.test.alpha_sequential


def _test(decision: Decision) -> str:
    if decision.fallback is not None:
        return decision.fallback.test
    return EXACT_TEST if decision.method == "exact" else SEQUENTIAL_TEST


def observed_baseline(baseline: Baseline | None, tracks: Sequence[Track]) -> Baseline | None:
    """The baseline with each planned unit's samples cut to those the run observed."""
    if baseline is None:
        return None
    units = dict(baseline.units)
    for track in tracks:
        entry = units.get(track.unit_id)
        if entry is not None:
            units[track.unit_id] = _cut(entry, track.sample_ids(track.reached))
    return baseline.model_copy(update={"units": units})


def _cut(entry: BaselineUnit, observed: set[str]) -> BaselineUnit:
    """Per-sample outcomes of the observed samples; each metric that is their mean recomputed."""
    metrics = dict(entry.metrics)
    for name, metric in entry.metrics.items():
        values = entry.samples_for(name)
        kept = {sid: v for sid, v in values.items() if sid in observed}
        if not kept or abs(sum(values.values()) / len(values) - metric.value) > _MEAN_TOLERANCE:
            continue  # not a mean of per-sample scores: left as recorded
        clusters = [entry.clusters.get(sid) for sid in kept]
        mean = aggregate(name, list(kept.values()), clusters)
        metrics[name] = BaselineMetric(
            value=rounded(mean.value),
            stderr=rounded(mean.stderr),
            n=mean.n,
            higher_is_better=metric.higher_is_better,
        )
    return entry.model_copy(
        update={
            "metrics": metrics,
            "samples": {sid: v for sid, v in entry.samples.items() if sid in observed},
            "metric_samples": {
                name: {sid: v for sid, v in values.items() if sid in observed}
                for name, values in entry.metric_samples.items()
            },
        }
    )


def account(tracks: Sequence[Track], final_perf: dict[str, UnitPerf]) -> AdaptiveAccount:
    """The report's account; ``final_perf``: the final execution's (every output it read)."""
    rules = [_rule(track, gated) for track in tracks for gated in track.gated]
    units = []
    for track in tracks:
        perf = final_perf.get(track.unit_id)
        outputs = perf.cached_outputs + perf.measured_outputs if perf is not None else 0
        units.append(
            AdaptiveUnit(
                unit_id=track.unit_id,
                samples_used=track.samples_in(track.reached),
                budget_samples=track.samples_in(track.budget),
                generated=track.generated,
                reused=max(outputs - track.generated, 0),
                looks=track.looked,
                stopped=_stopped(track),
                notes=list(track.notes),
            )
        )
    return AdaptiveAccount(rules=rules, units=units)


def _rule(track: Track, gated: Gated) -> AdaptiveRule:
    found = _finding(track, gated)
    decision = gated.decision
    assert gated.rule.max_drop is not None
    return AdaptiveRule(
        unit_id=track.unit_id,
        metric=gated.metric,
        max_drop=gated.rule.max_drop,
        state=str(decision.state) if decision is not None else str(State.CONTINUE),
        n_used=gated.test.n_used,
        budget_n=track.budget,
        units=track.units,
        low=rounded(found.low) if found.low is not None else None,
        high=rounded(found.high) if found.high is not None else None,
        confidence=found.confidence,
        test=found.test,
        reason=found.reason,
    )


def _stopped(track: Track) -> str:
    if track.failed is not None:
        return f"failed after {track.fed} of {track.budget} {track.units}"
    if not track.gated:
        return "no max_drop rule to decide sequentially: ran its budget"
    if track.fed < track.budget:
        return f"every rule decided after {track.fed} of {track.budget} {track.units}"
    return f"budget reached ({track.budget} {track.units})"
