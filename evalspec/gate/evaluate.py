"""The gate's decision: a run's unit results against thresholds rules and a baseline.

Values are compared at the baseline's precision (6 decimals) with a 1e-9
tolerance, so a run gated against its own baseline always passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from evalspec.gate.baseline import Baseline, BaselineMetric, BaselineUnit, rounded
from evalspec.gate.verdict import UNIT_LEVEL, GateResult, GateRow, Status, worst
from evalspec.scoring.results import Metric, UnitResult
from evalspec.spec.models import ThresholdRule, Thresholds

TOLERANCE = 1e-9
BASE_ADAPTER = "-"  # what a rule's `adapter` pattern sees for a unit without adapter
NO_BASELINE = "no baseline for this unit; run `evalspec baseline update`"
NO_BASELINE_METRIC = "no baseline for this metric; run `evalspec baseline update`"
MISSING = "in baseline, missing from this run"
NO_RULE = "no rule"

Finding = tuple[Status, str]


def evaluate(
    units: Sequence[UnitResult], thresholds: Thresholds | None, baseline: Baseline | None
) -> GateResult:
    """One row per metric of every unit, plus one per baseline metric the run lacks."""
    rules = list(thresholds.rules) if thresholds is not None else []
    reference = baseline.units if baseline is not None else {}
    rows: list[GateRow] = []
    for unit in units:
        entry = reference.get(unit.unit_id)
        if unit.error is not None:
            rows.extend(_error_rows(unit, entry))
            continue
        for name, metric in unit.metrics.items():
            rows.append(_metric_row(unit, name, metric, entry, rules))
        if entry is not None:
            rows.extend(
                _missing_row(entry, name, m)
                for name, m in entry.metrics.items()
                if name not in unit.metrics
            )
    run_ids = {unit.unit_id for unit in units}
    for unit_id in sorted(reference.keys() - run_ids):
        entry = reference[unit_id]
        rows.extend(_missing_row(entry, name, m) for name, m in entry.metrics.items())
    return GateResult(rows=rows)


def rule_matches(rule: ThresholdRule, unit: UnitResult, metric: str) -> bool:
    """fnmatch on each field; a base model's adapter is "-", which "*" also matches."""
    return (
        fnmatchcase(unit.model, rule.model)
        and fnmatchcase(unit.adapter or BASE_ADAPTER, rule.adapter)
        and fnmatchcase(unit.task, rule.task)
        and fnmatchcase(metric, rule.metric)
    )


def _metric_row(
    unit: UnitResult,
    name: str,
    metric: Metric,
    entry: BaselineUnit | None,
    rules: list[ThresholdRule],
) -> GateRow:
    current = rounded(metric.value)
    reference = entry.metrics.get(name) if entry is not None else None
    matching = [rule for rule in rules if rule_matches(rule, unit, name)]
    findings: list[Finding] = []
    for rule in matching:
        findings.extend(_apply(rule, current, metric.higher_is_better, reference, entry))
    notes = [] if matching else [NO_RULE]
    notes.extend(_changed_notes(unit, entry))
    return GateRow(
        model=unit.model,
        adapter=unit.adapter,
        task=unit.task,
        metric=name,
        baseline=reference.value if reference else None,
        baseline_stderr=reference.stderr if reference else None,
        current=current,
        stderr=rounded(metric.stderr),
        delta=rounded(current - reference.value) if reference else None,
        n=metric.n,
        status=worst([status for status, _ in findings]),
        reasons=list(dict.fromkeys(reason for _, reason in findings)),
        notes=notes,
        config_changed=_changed(unit, entry),
    )


def _apply(
    rule: ThresholdRule,
    current: float,
    higher_is_better: bool,
    reference: BaselineMetric | None,
    entry: BaselineUnit | None,
) -> list[Finding]:
    findings: list[Finding] = []
    if rule.min is not None and current < rule.min - TOLERANCE:
        findings.append((Status.FAIL, f"is {current:.3f}, below min {rule.min:.3f}"))
    if rule.max_drop is None:
        return findings
    if reference is None:
        reason = NO_BASELINE if entry is None else NO_BASELINE_METRIC
        findings.append((Status.WARN, reason))
        return findings
    drop = reference.value - current if higher_is_better else current - reference.value
    if drop > rule.max_drop + TOLERANCE:
        verb, suffix = ("dropped", "") if higher_is_better else ("rose", " (lower is better)")
        findings.append(
            (
                Status.FAIL,
                f"{verb} {drop:.3f} ({reference.value:.3f} → {current:.3f}), "
                f"more than max_drop {rule.max_drop:.3f}{suffix}",
            )
        )
    return findings


def _error_rows(unit: UnitResult, entry: BaselineUnit | None) -> list[GateRow]:
    """ERROR rows for a unit the run could not score: one per baseline metric, else one."""
    expected = dict(entry.metrics) if entry is not None else {}
    names: list[str] = list(expected) or [UNIT_LEVEL]
    return [
        GateRow(
            model=unit.model,
            adapter=unit.adapter,
            task=unit.task,
            metric=name,
            baseline=expected[name].value if name in expected else None,
            baseline_stderr=expected[name].stderr if name in expected else None,
            current=None,
            stderr=None,
            delta=None,
            n=None,
            status=Status.ERROR,
            reasons=[unit.error or "the unit failed"],
            notes=_changed_notes(unit, entry),
            config_changed=_changed(unit, entry),
        )
        for name in names
    ]


def _missing_row(entry: BaselineUnit, name: str, reference: BaselineMetric) -> GateRow:
    return GateRow(
        model=entry.model,
        adapter=entry.adapter,
        task=entry.task,
        metric=name,
        baseline=reference.value,
        baseline_stderr=reference.stderr,
        current=None,
        stderr=None,
        delta=None,
        n=None,
        status=Status.WARN,
        reasons=[MISSING],
    )


def _changed(unit: UnitResult, entry: BaselineUnit | None) -> bool:
    return entry is not None and entry.hash != unit.unit_hash


def _changed_notes(unit: UnitResult, entry: BaselineUnit | None) -> list[str]:
    if entry is None or not _changed(unit, entry):
        return []
    return [
        f"configuration changed since baseline (hash {entry.hash[:12]} → {unit.unit_hash[:12]})"
    ]
