"""Rules that could never decide (patterns selecting nothing, bounds of the wrong direction),
bounds in the metric's direction, and what a baseline built from a run keeps or refuses."""

from __future__ import annotations

import math

import pytest

from evalspec.errors import SpecError
from evalspec.gate import (
    GateResult,
    Status,
    Target,
    baseline_from_results,
    check_rules,
    evaluate,
    result_targets,
)
from evalspec.scoring.results import Metric, UnitResult
from evalspec.spec.thresholds import ThresholdRule, Thresholds

TARGETS = [
    Target("smol", None, "arith", ("accuracy",)),
    Target("smol", "sql-v3", "arith", ("accuracy",)),
    Target("smol", None, "code", ("pass@1", "pass@5")),
]


def _where(*loc: str | int) -> str:
    return f"th.yaml:{10 + int(loc[1])}"


def _problem(**rule: str) -> str:
    with pytest.raises(SpecError) as caught:
        check_rules(
            Thresholds(version=1, rules=[ThresholdRule(max_drop=0.1, **rule)]), TARGETS, _where
        )
    return str(caught.value)


def test_every_field_of_a_rule_is_checked_in_turn_and_named() -> None:
    assert _problem(model="smoll") == (
        "th.yaml:10: rules[0].model: 'smoll' matches no model it could select (did you mean "
        "'smol'?); there are: smol; fix the pattern or remove the rule"
    )
    assert "rules[0].adapter: 'sql-v4' matches no adapter ('-' is the base model)" in _problem(
        adapter="sql-v4"
    )
    assert "rules[0].task: 'cod' matches no task" in _problem(task="cod")
    # pass@1 exists, but not on arith: the metric is checked among the units selected
    assert "there are: accuracy;" in _problem(task="arith", metric="pass@1")


@pytest.mark.parametrize(
    "rule",
    [
        {"adapter": "-"},
        {"adapter": "sql-*", "task": "arith"},
        {"task": "code", "metric": "pass@*"},
        {"model": "s*", "metric": "acc*"},
    ],
)
def test_patterns_that_select_something_pass(rule: dict[str, str]) -> None:
    check_rules(Thresholds(version=1, rules=[ThresholdRule(max_drop=0.1, **rule)]), TARGETS, _where)


def _unit(task: str, value: float = 0.5, *, error: str | None = None, **metric: bool) -> UnitResult:
    hib = metric.get("higher_is_better", True)
    name = "accuracy" if hib else "loss"
    return UnitResult(
        unit_id=f"smol/{task}",
        unit_hash="h",
        model="smol",
        adapter=None,
        task=task,
        metrics={} if error else {name: Metric(name, value, 0.1, 10, hib)},
        outcomes={} if error else {f"s{i}": value for i in range(10)},
        error=error,
    )


def test_a_failed_unit_without_baseline_metrics_accepts_any_metric_pattern() -> None:
    targets = result_targets([_unit("arith"), _unit("code", error="engine died")], None)
    rules = Thresholds(version=1, rules=[ThresholdRule(task="code", metric="pass@1", min=0.1)])

    check_rules(rules, targets, _where)  # the failed unit's metrics are unknown: no error
    assert targets[1].metrics is None


def test_min_floors_higher_is_better_and_max_caps_lower_is_better_metrics() -> None:
    units = [_unit("arith", 0.4), _unit("lm", 0.9, higher_is_better=False)]
    rules = Thresholds(version=1, rules=[ThresholdRule(min=0.5, max=0.5)])

    accuracy, loss = evaluate(units, rules, None).rows

    assert (accuracy.status, accuracy.reasons) == (Status.FAIL, ["is 0.400, below min 0.500"])
    assert (loss.status, loss.reasons) == (Status.FAIL, ["is 0.900, above max 0.500"])
    assert "max does not apply: it caps lower-is-better metrics" in accuracy.notes
    assert "min does not apply: lower is better (its floor is `max`)" in loss.notes


def test_a_bound_that_meets_only_metrics_of_the_other_direction_is_an_error() -> None:
    units = [_unit("lm", 0.9, higher_is_better=False)]

    with pytest.raises(SpecError, match=r"^th\.yaml:10: rules\[0\]\.min: `min` floors"):
        evaluate(units, Thresholds(version=1, rules=[ThresholdRule(min=0.5)]), None, where=_where)
    with pytest.raises(SpecError, match=r"rules\[0\]\.max: `max` caps lower-is-better"):
        evaluate([_unit("arith")], Thresholds(version=1, rules=[ThresholdRule(max=0.5)]), None)


def test_baseline_units_an_incomplete_run_lacks_are_errors() -> None:
    baseline = baseline_from_results("s", "R0", None, [_unit("arith"), _unit("code")])

    result: GateResult = evaluate([_unit("arith")], None, baseline, incomplete="it was killed")

    assert [(row.task, row.status) for row in result.rows] == [
        ("arith", Status.PASS),
        ("code", Status.ERROR),
    ]
    assert result.rows[1].reasons == ["in baseline, missing from this run: it was killed"]
    assert result.exit_code == 3


def test_a_baseline_keeps_the_previous_perf_of_units_the_run_measured_none_for() -> None:
    previous = baseline_from_results(
        "s", "R0", None, [_unit("arith"), _unit("code")],
        {"smol/arith": {"tokens_per_s": 80.0}, "smol/code": {"tokens_per_s": 60.0}},
    )  # fmt: skip
    perf = {"smol/arith": {"cached": True}, "smol/code": {"tokens_per_s": 50.0}}

    new = baseline_from_results("s", "R1", None, [_unit("arith"), _unit("code")], perf, previous)

    assert new.units["smol/arith"].perf == {"tokens_per_s": 80.0}
    assert new.units["smol/code"].perf == {"tokens_per_s": 50.0}


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_run_with_a_non_finite_metric_cannot_become_a_baseline(value: float) -> None:
    with pytest.raises(SpecError, match=r"^run R1 unit smol/arith: metrics\.accuracy\.value: "):
        baseline_from_results("s", "R1", None, [_unit("arith", value)])
