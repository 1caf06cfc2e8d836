"""The gate's verdicts: thresholds rules, baselines, missing and failed units, exit codes."""

from __future__ import annotations

from typing import Any

from evalspec.gate import GateResult, GateRow, Status, baseline_from_results, evaluate
from evalspec.scoring.results import Metric, UnitResult
from evalspec.spec.thresholds import ThresholdRule, Thresholds


def _unit(
    task: str = "arith",
    value: float = 0.45,
    *,
    model: str = "smol",
    adapter: str | None = None,
    metric: str = "accuracy",
    higher_is_better: bool = True,
    unit_hash: str = "h" * 64,
    error: str | None = None,
    samples: int = 20,
    stderr: float = 0.05,
) -> UnitResult:
    """`samples` samples all scoring `value` (none: the gate compares the standard errors)."""
    name = model if adapter is None else f"{model}+{adapter}"
    return UnitResult(
        unit_id=f"{name}/{task}",
        unit_hash=unit_hash,
        model=model,
        adapter=adapter,
        task=task,
        metrics={}
        if error
        else {metric: Metric(metric, value, stderr, 20, higher_is_better=higher_is_better)},
        outcomes={} if error else {f"s{i:02d}": value for i in range(samples)},
        error=error,
    )


def _rules(**rule: Any) -> Thresholds:
    return Thresholds(version=1, rules=[ThresholdRule(**rule)])


def _only(result: GateResult) -> GateRow:
    assert len(result.rows) == 1, result.rows
    return result.rows[0]


def test_identical_results_against_their_own_baseline_pass() -> None:
    units = [
        _unit("arith", 0.1 + 0.2),
        _unit("code", 1 / 3, adapter="sql-v3"),
        _unit("loss", 2.0000004999, metric="perplexity", higher_is_better=False),
        _unit("edge", 2 / 3),  # the baseline rounds it up: 0.666667
    ]
    baseline = baseline_from_results("smoke", "R1", None, units)
    thresholds = Thresholds(
        version=1, rules=[ThresholdRule(max_drop=0.15), ThresholdRule(task="arith", min=0.3)]
    )

    result = evaluate(units, thresholds, baseline)

    # 20 unchanged samples: the interval is ±t(19) / 20 = ±0.105, within the margin
    assert [row.status for row in result.rows] == [Status.PASS] * 4
    assert [(row.ci_low, row.ci_high) for row in result.rows] == [(-0.104651, 0.104651)] * 4
    assert all(row.delta == 0.0 for row in result.rows)
    assert result.status is Status.PASS
    assert result.exit_code == 0


def test_drop_beyond_max_drop_fails_with_reason_and_exit_1() -> None:
    baseline = baseline_from_results("smoke", "R1", None, [_unit(value=0.45)])

    result = evaluate([_unit(value=0.20)], _rules(max_drop=0.1), baseline)
    row = _only(result)

    assert row.status is Status.FAIL
    assert row.baseline == 0.45
    assert row.current == 0.2
    assert row.delta == -0.25
    assert row.reasons == [
        "dropped 0.250 (0.450 → 0.200): the 95% CI of the change [-0.355, -0.145] "
        "lies entirely below -0.100 (max_drop 0.100)"
    ]
    assert result.exit_code == 1


def test_drop_exactly_at_max_drop_passes_despite_float_error() -> None:
    # no per-sample values and no standard error: a zero-width interval at -0.1
    old, new = _unit(value=0.45, samples=0, stderr=0.0), _unit(value=0.35, samples=0, stderr=0.0)
    baseline = baseline_from_results("smoke", "R1", None, [old])

    row = _only(evaluate([new], _rules(max_drop=0.1), baseline))

    assert row.status is Status.PASS
    assert row.reasons == []


def test_improvement_passes_and_shows_positive_delta() -> None:
    baseline = baseline_from_results("smoke", "R1", None, [_unit(value=0.45)])

    row = _only(evaluate([_unit(value=0.6)], _rules(max_drop=0.0), baseline))

    assert row.status is Status.PASS
    assert row.delta == 0.15


def test_lower_is_better_metric_fails_when_it_rises() -> None:
    kwargs: dict[str, Any] = {"metric": "latency_s", "higher_is_better": False}
    baseline = baseline_from_results("smoke", "R1", None, [_unit(value=1.0, **kwargs)])

    worse = _only(evaluate([_unit(value=1.5, **kwargs)], _rules(max_drop=0.2), baseline))
    better = _only(evaluate([_unit(value=0.5, **kwargs)], _rules(max_drop=0.2), baseline))

    assert worse.status is Status.FAIL
    assert worse.reasons == [
        "rose 0.500 (1.000 → 1.500): the 95% CI of the change [+0.395, +0.605] "
        "lies entirely above +0.200 (max_drop 0.200) (lower is better)"
    ]
    assert better.status is Status.PASS


def test_value_below_min_fails_and_equal_to_min_passes() -> None:
    below = _only(evaluate([_unit(value=0.29)], _rules(min=0.3), None))
    equal = _only(evaluate([_unit(value=0.1 + 0.2)], _rules(min=0.3), None))

    assert below.status is Status.FAIL
    assert below.reasons == ["is 0.290, below min 0.300"]
    assert equal.status is Status.PASS


def test_every_matching_rule_applies() -> None:
    baseline = baseline_from_results("smoke", "R1", None, [_unit(value=0.45)])
    thresholds = Thresholds(
        version=1, rules=[ThresholdRule(max_drop=0.1), ThresholdRule(task="ari*", min=0.3)]
    )

    row = _only(evaluate([_unit(value=0.2)], thresholds, baseline))

    assert row.status is Status.FAIL
    assert len(row.reasons) == 2
    assert row.reasons[1] == "is 0.200, below min 0.300"


def test_max_drop_without_baseline_warns_but_exits_0() -> None:
    result = evaluate([_unit()], _rules(max_drop=0.1), None)
    row = _only(result)

    assert row.status is Status.WARN
    assert row.reasons == ["no baseline for this unit; run `evalspec baseline update`"]
    assert row.baseline is None and row.delta is None
    assert result.exit_code == 0


def test_max_drop_for_a_metric_the_baseline_lacks_warns() -> None:
    baseline = baseline_from_results("smoke", "R1", None, [_unit(metric="accuracy")])

    result = evaluate([_unit(metric="exact_match")], _rules(max_drop=0.1), baseline)
    new, missing = result.rows

    assert new.status is Status.WARN
    assert new.reasons == ["no baseline for this metric; run `evalspec baseline update`"]
    assert missing.metric == "accuracy"
    assert missing.status is Status.WARN
    assert missing.reasons == ["in baseline, missing from this run"]


def test_metric_without_matching_rule_passes_with_note() -> None:
    row = _only(evaluate([_unit(value=0.0)], _rules(task="other", min=0.9), None))

    assert row.status is Status.PASS
    assert row.notes == ["no rule"]
    assert row.reasons == []


def test_unit_with_infrastructure_error_is_an_error_row_and_exit_3() -> None:
    baseline = baseline_from_results("smoke", "R1", None, [_unit()])

    result = evaluate([_unit(error="engine would not load: CUDA OOM")], _rules(min=0.1), baseline)
    row = _only(result)

    assert row.status is Status.ERROR
    assert row.metric == "accuracy"
    assert row.baseline == 0.45
    assert row.current is None
    assert row.reasons == ["engine would not load: CUDA OOM"]
    assert result.exit_code == 3


def test_failed_unit_without_baseline_still_gets_one_error_row() -> None:
    row = _only(evaluate([_unit(error="timeout")], None, None))

    assert row.status is Status.ERROR
    assert row.label == "smol/arith"


def test_regression_outranks_error_for_exit_code_and_status() -> None:
    result = evaluate(
        [_unit("arith", 0.1), _unit("code", error="engine crashed")], _rules(min=0.5), None
    )

    assert result.status is Status.FAIL
    assert result.exit_code == 1


def test_baseline_unit_missing_from_run_is_a_warning_row_not_dropped() -> None:
    baseline = baseline_from_results("smoke", "R1", None, [_unit("arith"), _unit("code", 0.3)])

    result = evaluate([_unit("arith")], _rules(max_drop=0.15), baseline)

    assert [(r.task, r.status) for r in result.rows] == [
        ("arith", Status.PASS),
        ("code", Status.WARN),
    ]
    missing = result.rows[1]
    assert missing.reasons == ["in baseline, missing from this run"]
    assert missing.baseline == 0.3
    assert missing.current is None
    assert result.exit_code == 0


def test_changed_hash_is_a_note_not_a_warning() -> None:
    baseline = baseline_from_results("smoke", "R1", None, [_unit(unit_hash="a" * 64)])

    row = _only(evaluate([_unit(unit_hash="b" * 64)], _rules(max_drop=0.15), baseline))

    assert row.status is Status.PASS
    assert row.config_changed is True
    assert row.notes == ["configuration changed since baseline (hash aaaaaaaaaaaa → bbbbbbbbbbbb)"]


def test_adapter_star_matches_base_and_adapter_units_dash_only_base() -> None:
    units = [_unit(value=0.1), _unit(value=0.1, adapter="sql-v3")]

    star = evaluate(units, _rules(adapter="*", min=0.5), None)
    dash = evaluate(units, _rules(adapter="-", min=0.5), None)
    named = evaluate(units, _rules(adapter="sql-*", min=0.5), None)

    assert [r.status for r in star.rows] == [Status.FAIL, Status.FAIL]
    assert [r.status for r in dash.rows] == [Status.FAIL, Status.PASS]
    assert [r.status for r in named.rows] == [Status.PASS, Status.FAIL]


def test_adapter_units_are_compared_with_their_own_baseline_entry() -> None:
    baseline = baseline_from_results(
        "smoke", "R1", None, [_unit(value=0.9), _unit(value=0.5, adapter="sql-v3")]
    )

    result = evaluate(
        [_unit(value=0.9), _unit(value=0.5, adapter="sql-v3")], _rules(max_drop=0.15), baseline
    )

    assert [(r.unit_id, r.baseline, r.status) for r in result.rows] == [
        ("smol/arith", 0.9, Status.PASS),
        ("smol+sql-v3/arith", 0.5, Status.PASS),
    ]


def test_rows_carry_stderr_and_n_of_both_sides() -> None:
    baseline = baseline_from_results("smoke", "R1", None, [_unit()])

    row = _only(evaluate([_unit()], None, baseline))

    assert (row.baseline_stderr, row.stderr, row.n) == (0.05, 0.05, 20)


def test_empty_run_without_baseline_passes() -> None:
    result = evaluate([], None, None)

    assert result.rows == []
    assert result.status is Status.PASS
    assert result.exit_code == 0
