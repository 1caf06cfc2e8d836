"""Thresholds rules that could never decide anything: patterns that select nothing, wrong bounds.

A rule selects metrics by fnmatch patterns on model, adapter, task and metric.
A typo ("arithmetc") would select nothing and the gate would pass without the
rule, so every rule must select at least one metric of the units it is checked
against: before a run the spec's units and each task's metrics, for `diff` the
two runs' units and metrics. ``min`` floors higher-is-better metrics and
``max`` caps lower-is-better ones; a bound that meets no metric of its
direction is an error too. Errors name the rule's file:line.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from evalspec.errors import SpecError
from evalspec.gate.baseline import Baseline
from evalspec.scoring.results import UnitResult
from evalspec.spec.models import Spec
from evalspec.spec.thresholds import ThresholdRule, Thresholds

BASE_ADAPTER = "-"  # what a rule's `adapter` pattern sees for a unit without adapter

# FILE:LINE of a field path of the thresholds file, e.g. ("rules", 2, "task")
RuleWhere = Callable[..., str]


def unlocated(*loc: str | int) -> str:
    """The fallback locator for thresholds built in code: no file, just the field path."""
    return "thresholds " + ".".join(str(part) for part in loc)


@dataclass(frozen=True)
class Target:
    """A unit a rule may select, with its metrics (None: unknown, e.g. the unit failed)."""

    model: str
    adapter: str | None
    task: str
    metrics: tuple[str, ...] | None


def spec_targets(spec: Spec) -> list[Target]:
    """The units a spec compiles to (model x base-or-adapter x task) with each task's metrics."""
    return [
        Target(model.id, adapter, task.id, task.metric_names)
        for model in spec.resolved_models()
        for adapter in [None, *(a.id for a in model.adapters)]
        for task in spec.tasks
    ]


def result_targets(units: Sequence[UnitResult], baseline: Baseline | None) -> list[Target]:
    """The units of a run and of the baseline it is compared with, with their metrics."""
    found: dict[str, Target] = {}
    entries = baseline.units if baseline is not None else {}
    for unit_id, entry in entries.items():
        found[unit_id] = Target(entry.model, entry.adapter, entry.task, tuple(entry.metrics))
    for unit in units:
        known = found.get(unit.unit_id)
        names = tuple(unit.metrics) + ((known.metrics or ()) if known is not None else ())
        unknown = unit.error is not None and not names
        found[unit.unit_id] = Target(
            unit.model, unit.adapter, unit.task, None if unknown else names
        )
    return list(found.values())


def check_rules(thresholds: Thresholds, targets: Sequence[Target], where: RuleWhere) -> None:
    """A SpecError at the first rule whose patterns select no metric of the targets."""
    for index, rule in enumerate(thresholds.rules):
        problem = _unmatched(rule, targets)
        if problem is not None:
            field, text = problem
            raise SpecError(
                f"{where('rules', index, field)}: rules[{index}].{field}: {text}; "
                "fix the pattern or remove the rule"
            )


def _unmatched(rule: ThresholdRule, targets: Sequence[Target]) -> tuple[str, str] | None:
    steps: list[tuple[str, Callable[[Target], Iterable[str]]]] = [
        ("model", lambda t: [t.model]),
        ("adapter", lambda t: [t.adapter or BASE_ADAPTER]),
        ("task", lambda t: [t.task]),
    ]
    selected = list(targets)
    for field, values in steps:
        pattern = getattr(rule, field)
        kept = [t for t in selected if any(fnmatchcase(v, pattern) for v in values(t))]
        if not kept:
            return field, _nothing(field, pattern, {v for t in selected for v in values(t)})
        selected = kept
    if any(t.metrics is None for t in selected):
        return None  # a unit whose metrics are unknown may report it
    metrics = {m for t in selected for m in t.metrics or ()}
    if not any(fnmatchcase(m, rule.metric) for m in metrics):
        return "metric", _nothing("metric", rule.metric, metrics)
    return None


def _nothing(field: str, pattern: str, known: set[str]) -> str:
    close = difflib.get_close_matches(pattern, sorted(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    listed = ", ".join(sorted(known)) or "none"
    what = "adapter ('-' is the base model)" if field == "adapter" else field
    return f"'{pattern}' matches no {what} it could select{hint}; there are: {listed}"


def check_bounds(
    rules: Sequence[ThresholdRule], directions: dict[int, set[bool]], where: RuleWhere
) -> None:
    """A SpecError for a `min` that met only lower-is-better metrics, or a `max` the reverse.

    ``directions``: rule index -> higher_is_better of every metric the rule selected.
    """
    for index, rule in enumerate(rules):
        seen = directions.get(index)
        if not seen:
            continue
        if rule.min is not None and True not in seen:
            raise SpecError(
                f"{where('rules', index, 'min')}: rules[{index}].min: `min` floors "
                "higher-is-better metrics, and every metric this rule selects is lower-is-better; "
                f"write `max: {rule.min:g}` for a ceiling"
            )
        if rule.max is not None and False not in seen:
            raise SpecError(
                f"{where('rules', index, 'max')}: rules[{index}].max: `max` caps "
                "lower-is-better metrics, and every metric this rule selects is higher-is-better; "
                f"write `min: {rule.max:g}` for a floor"
            )
