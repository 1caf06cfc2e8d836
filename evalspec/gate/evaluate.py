"""The gate's decision: a run's unit results against thresholds rules and a baseline.

One row per metric of every unit (and per baseline metric the run lacks),
each compared with its baseline by ``compare`` and judged by ``rules``; the
p-values of "no change" are Holm-adjusted over all comparisons of the check
before any rule decides. Perf rows come from ``perf``. Values are compared at
the baseline's precision (6 decimals), so a run gated against its own baseline
always passes when the samples suffice for the margin.

An adaptive run passes ``sequential``: its decisions on max_drop rules, keyed by
(unit id, metric, index of the rule in the thresholds file), which replace those
rules' fixed-n tests (and leave their rows out of the Holm family: the sequential
test does its own Holm over the check's rules); ``adaptive`` is its account for
the reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from evalspec.gate.adaptive import AdaptiveAccount
from evalspec.gate.baseline import Baseline, BaselineMetric, BaselineUnit, rounded
from evalspec.gate.compare import Comparison, compare
from evalspec.gate.fingerprint import environment_changes, fingerprint_notes, sandbox_note
from evalspec.gate.perf import perf_rows
from evalspec.gate.rule_check import BASE_ADAPTER, RuleWhere, check_bounds, unlocated
from evalspec.gate.rules import Context, SequentialFinding, apply, bound_notes
from evalspec.gate.stats import holm
from evalspec.gate.verdict import UNIT_LEVEL, GateResult, GateRow, PerfRow, Status, worst
from evalspec.scoring.results import Metric, UnitResult
from evalspec.spec.thresholds import ThresholdRule, Thresholds

DEFAULT_CONFIDENCE = 0.95
MISSING = "in baseline, missing from this run"
NO_RULE = "no rule"


@dataclass
class _Pending:
    """A metric row whose comparisons are done but whose rules wait for the Holm adjustment."""

    unit: UnitResult
    name: str
    metric: Metric
    entry: BaselineUnit | None
    rules: list[ThresholdRule]
    environment_change: str | None
    confidence: float  # the thresholds file's level
    comparisons: dict[float, Comparison] = field(default_factory=dict)  # by confidence
    shown: Comparison | None = None  # the one the row displays
    # adaptive runs: the sequential decision of the rule at the same position in `rules`
    sequential: list[SequentialFinding | None] = field(default_factory=list)

    @property
    def decided_sequentially(self) -> bool:
        """Every max_drop rule of the row was decided by the sequential test."""
        pairs = zip(self.rules, self.sequential, strict=True)
        return any(self.sequential) and all(
            found is not None for rule, found in pairs if rule.max_drop is not None
        )


def evaluate(
    units: Sequence[UnitResult],
    thresholds: Thresholds | None,
    baseline: Baseline | None,
    perf: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    where: RuleWhere | None = None,
    incomplete: str | None = None,
    sequential: Mapping[tuple[str, str, int], SequentialFinding] | None = None,
    adaptive: AdaptiveAccount | None = None,
) -> GateResult:
    """Metric rows, perf rows (perf: unit id -> measurements) and fingerprint notes.

    ``where`` locates a thresholds rule for errors (FILE:LINE); ``incomplete`` says
    why the run did not complete: baseline units it lacks are then ERROR rows, not WARN.
    A `min` or `max` that meets no metric of its direction is a SpecError.
    """
    rules = list(thresholds.rules) if thresholds is not None else []
    confidence = thresholds.confidence if thresholds is not None else DEFAULT_CONFIDENCE
    allowed = set(thresholds.allow_fingerprint_change) if thresholds is not None else set()
    reference = baseline.units if baseline is not None else {}
    measured = perf or {}
    slots: list[GateRow | _Pending] = []
    perf_out: list[PerfRow] = []
    notes: list[str] = []
    directions: dict[int, set[bool]] = {}
    for unit in units:
        entry = reference.get(unit.unit_id)
        if unit.error is not None:
            slots.extend(_error_rows(unit, entry))
            continue
        change = None
        notes.extend(sandbox_note(unit.unit_id, unit.fingerprint))
        notes.extend(f"{unit.unit_id}: {note}" for note in unit.notes)
        if entry is not None:
            blocking, tolerated = environment_changes(entry.fingerprint, unit.fingerprint, allowed)
            notes.extend(fingerprint_notes(unit.unit_id, blocking, tolerated))
            change = "; ".join(blocking) or None
        for name, metric in unit.metrics.items():
            selected = [i for i, rule in enumerate(rules) if rule_matches(rule, unit, name)]
            for i in selected:
                directions.setdefault(i, set()).add(metric.higher_is_better)
            matching = [rules[i] for i in selected]
            slot = _pending(unit, name, metric, entry, matching, change, confidence)
            slot.sequential = [(sequential or {}).get((unit.unit_id, name, i)) for i in selected]
            slots.append(slot)
        if entry is not None:
            slots.extend(
                _missing_row(entry, name, m, None)
                for name, m in entry.metrics.items()
                if name not in unit.metrics
            )
        unit_rules = [rule for rule in rules if rule.perf is not None and _unit_matches(rule, unit)]
        perf_out.extend(perf_rows(unit, unit_rules, entry, measured.get(unit.unit_id, {}), change))
    run_ids = {unit.unit_id for unit in units}
    for unit_id in sorted(reference.keys() - run_ids):
        entry = reference[unit_id]
        slots.extend(_missing_row(entry, name, m, incomplete) for name, m in entry.metrics.items())
    check_bounds(rules, directions, where or unlocated)
    family = {
        i: slot.shown.interval.p_value
        for i, slot in enumerate(slots)
        if isinstance(slot, _Pending) and slot.shown is not None and not slot.decided_sequentially
    }
    adjusted = holm(family)
    rows = [
        slot if isinstance(slot, GateRow) else _metric_row(slot, adjusted.get(i), len(family))
        for i, slot in enumerate(slots)
    ]
    return GateResult(
        rows=rows,
        perf_rows=perf_out,
        fingerprint_notes=notes,
        slices=_slices(units),
        adaptive=adaptive,
    )


def _slices(units: Sequence[UnitResult]) -> list[dict[str, Any]]:
    return [
        {
            "unit": unit.unit_id,
            "slice": label,
            "metric": name,
            "value": metric.value,
            "stderr": metric.stderr,
            "n": metric.n,
        }
        for unit in units
        for label, metrics in unit.slices.items()
        for name, metric in metrics.items()
    ]


def rule_matches(rule: ThresholdRule, unit: UnitResult, metric: str) -> bool:
    """fnmatch on each field; a base model's adapter is "-", which "*" also matches."""
    return _unit_matches(rule, unit) and fnmatchcase(metric, rule.metric)


def _unit_matches(rule: ThresholdRule, unit: UnitResult) -> bool:
    return (
        fnmatchcase(unit.model, rule.model)
        and fnmatchcase(unit.adapter or BASE_ADAPTER, rule.adapter)
        and fnmatchcase(unit.task, rule.task)
    )


def _pending(
    unit: UnitResult,
    name: str,
    metric: Metric,
    entry: BaselineUnit | None,
    rules: list[ThresholdRule],
    change: str | None,
    confidence: float,
) -> _Pending:
    slot = _Pending(unit, name, metric, entry, rules, change, confidence)
    reference = entry.metrics.get(name) if entry is not None else None
    if entry is None or reference is None:
        return slot
    levels = {rule.confidence or confidence for rule in rules if rule.max_drop is not None}
    shown = max(levels, default=confidence)
    for level in sorted(levels | {shown}):
        slot.comparisons[level] = compare(unit, metric, entry, reference, level)
    slot.shown = slot.comparisons[shown]
    return slot


def _metric_row(slot: _Pending, p_adjusted: float | None, family: int) -> GateRow:
    unit, metric, entry = slot.unit, slot.metric, slot.entry
    current = rounded(metric.value)
    reference = entry.metrics.get(slot.name) if entry is not None else None
    findings: list[tuple[Status, str]] = []
    for rule, decided in zip(slot.rules, slot.sequential, strict=True):
        level = rule.confidence or slot.confidence
        context = Context(
            current=current,
            higher_is_better=metric.higher_is_better,
            baseline=reference.value if reference is not None else None,
            has_entry=entry is not None,
            comparison=slot.comparisons.get(level),
            p_adjusted=p_adjusted,
            family=family,
            environment_change=slot.environment_change,
        )
        findings.extend(apply(rule, context, decided))
    notes = [] if slot.rules else [NO_RULE]
    notes.extend(bound_notes(slot.rules, metric.higher_is_better))
    notes.extend(_changed_notes(unit, entry))
    shown = slot.shown
    if shown is not None:
        notes.extend(shown.notes)
    problems = [(status, reason) for status, reason in findings if status is not Status.PASS]
    row = GateRow(
        model=unit.model,
        adapter=unit.adapter,
        task=unit.task,
        metric=slot.name,
        baseline=reference.value if reference else None,
        baseline_stderr=reference.stderr if reference else None,
        current=current,
        stderr=rounded(metric.stderr),
        delta=rounded(current - reference.value) if reference else None,
        n=metric.n,
        status=worst([status for status, _ in findings]),
        reasons=list(dict.fromkeys(reason for _, reason in problems)),
        notes=notes,
        config_changed=_changed(unit, entry),
        ci_low=rounded(shown.interval.low) if shown else None,
        ci_high=rounded(shown.interval.high) if shown else None,
        confidence=shown.confidence if shown else None,
        p_value=p_adjusted if shown else None,
        test=shown.test if shown else None,
        n_paired=shown.n_paired if shown else None,
        flips={k: list(v) for k, v in shown.flips.items()} if shown else {},
    )
    decided = next((found for found in slot.sequential if found is not None), None)
    if decided is not None:  # the row shows the sequential test's interval and p-value
        row.ci_low = rounded(decided.low) if decided.low is not None else None
        row.ci_high = rounded(decided.high) if decided.high is not None else None
        row.confidence, row.p_value, row.test = decided.confidence, decided.p_value, decided.test
    return row


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


def _missing_row(
    entry: BaselineUnit, name: str, reference: BaselineMetric, incomplete: str | None
) -> GateRow:
    """A baseline metric the run lacks: WARN, or ERROR when the run did not complete."""
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
        status=Status.WARN if incomplete is None else Status.ERROR,
        reasons=[MISSING if incomplete is None else f"{MISSING}: {incomplete}"],
    )


def _changed(unit: UnitResult, entry: BaselineUnit | None) -> bool:
    return entry is not None and entry.hash != unit.unit_hash


def _changed_notes(unit: UnitResult, entry: BaselineUnit | None) -> list[str]:
    if entry is None or not _changed(unit, entry):
        return []
    return [
        f"configuration changed since baseline (hash {entry.hash[:12]} → {unit.unit_hash[:12]})"
    ]
