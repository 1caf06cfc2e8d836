"""The paired decision rule: CI against the margin, flips, fallbacks, Holm, fingerprints, perf."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from evalspec.gate import GateResult, GateRow, Status, baseline_from_results, evaluate
from evalspec.scoring.metrics import aggregate
from evalspec.scoring.results import UnitResult
from evalspec.spec import load_thresholds
from evalspec.spec.thresholds import ThresholdRule, Thresholds

REPO = Path(__file__).resolve().parents[2]
FINGERPRINT = {"engine": "vllm", "engine_version": "0.32.0", "device": "cpu", "dtype": "float32"}


def _unit(
    outcomes: dict[str, float],
    *,
    task: str = "arithmetic",
    metric: str = "accuracy",
    fingerprint: dict[str, Any] | None = None,
    clusters: dict[str, str] | None = None,
) -> UnitResult:
    return UnitResult(
        unit_id=f"smol/{task}",
        unit_hash="h" * 64,
        model="smol",
        adapter=None,
        task=task,
        metrics={metric: aggregate(metric, list(outcomes.values()))},
        outcomes=outcomes,
        fingerprint=dict(FINGERPRINT if fingerprint is None else fingerprint),
        clusters=clusters or {},
    )


def _pairs(
    n: int, both: int, lost: int, gained: int, prefix: str = "s"
) -> tuple[dict[str, float], dict[str, float]]:
    """Baseline and current outcomes of n samples: `both` pass on both sides, `lost` pass only
    in the baseline, `gained` pass only now, the rest fail on both sides."""
    ids = [f"{prefix}{i:03d}" for i in range(n)]
    before = {sid: 1.0 if i < both + lost else 0.0 for i, sid in enumerate(ids)}
    after = {
        sid: 1.0 if i < both or both + lost <= i < both + lost + gained else 0.0
        for i, sid in enumerate(ids)
    }
    return before, after


def _gate(
    before: UnitResult | list[UnitResult],
    after: UnitResult | list[UnitResult],
    thresholds: Thresholds,
    perf: dict[str, dict[str, Any]] | None = None,
    baseline_perf: dict[str, dict[str, Any]] | None = None,
) -> GateResult:
    olds = before if isinstance(before, list) else [before]
    news = after if isinstance(after, list) else [after]
    baseline = baseline_from_results("smoke", "R1", None, olds, baseline_perf)
    return evaluate(news, thresholds, baseline, perf)


def _rules(**rule: Any) -> Thresholds:
    return Thresholds(version=1, rules=[ThresholdRule(**rule)])


def _only(result: GateResult) -> GateRow:
    assert len(result.rows) == 1, result.rows
    return result.rows[0]


SMOKE = load_thresholds(REPO / "thresholds" / "smoke.yaml")


def test_smoke_a_a_recheck_of_40_identical_samples_passes_with_delta_0() -> None:
    before, after = _pairs(40, both=10, lost=0, gained=0)

    row = _only(_gate(_unit(before), _unit(after), SMOKE))

    assert row.status is Status.PASS
    assert row.delta == 0.0
    assert row.test == "mcnemar-exact" and row.n_paired == 40
    assert row.ci_low == pytest.approx(-0.087622, abs=1e-6)  # -z²/(n+z²)
    assert row.flips == {"pass_to_fail": [], "fail_to_pass": []}
    assert row.p_value == 1.0


def test_smoke_a_a_recheck_of_10_all_failing_code_samples_passes() -> None:
    before = {f"HumanEval/{i}": 0.0 for i in range(10)}

    row = _only(
        _gate(
            _unit(before, task="humaneval", metric="pass@1"),
            _unit(before, task="humaneval", metric="pass@1"),
            SMOKE,
        )
    )

    assert row.status is Status.PASS
    assert row.ci_high == pytest.approx(0.277533, abs=1e-6)


def test_twenty_identical_samples_cannot_show_non_inferiority_within_0_15() -> None:
    before, after = _pairs(20, both=5, lost=0, gained=0)

    row = _only(_gate(_unit(before), _unit(after), _rules(max_drop=0.15)))

    assert row.status is Status.WARN
    assert row.reasons == [
        "inconclusive: the 95% CI of the change [-0.161, +0.161] includes -0.150 "
        "(max_drop 0.150); more samples needed"
    ]


def test_smoke_crippled_run_fails_on_the_margin_and_the_floor() -> None:
    before, after = _pairs(40, both=0, lost=10, gained=0)

    result = _gate(_unit(before), _unit(after), SMOKE)
    row = _only(result)

    assert row.status is Status.FAIL and result.exit_code == 1
    assert (row.ci_low, row.ci_high) == pytest.approx((-0.401940, -0.140473), abs=1e-6)
    assert row.p_value == pytest.approx(2 / 2**10)  # exact McNemar
    assert row.flips["pass_to_fail"] == [f"s{i:03d}" for i in range(10)]
    assert row.reasons == [
        "is 0.000, below min 0.100",
        "dropped 0.250 (0.250 → 0.000): the 95% CI of the change [-0.402, -0.140] "
        "lies entirely below -0.100 (max_drop 0.100)",
    ]


def test_smoke_margin_needs_nine_of_forty_lost_to_fail() -> None:
    eight = _pairs(40, both=0, lost=8, gained=0)
    nine = _pairs(40, both=0, lost=9, gained=0)

    row8 = _only(_gate(_unit(eight[0]), _unit(eight[1]), SMOKE))
    row9 = _only(_gate(_unit(nine[0]), _unit(nine[1]), SMOKE))

    assert row8.status is Status.FAIL  # by the floor (0.0 < 0.10) ...
    assert row8.reasons[1].startswith("inconclusive")  # ... the margin alone is not enough
    assert row9.reasons[1].startswith("dropped 0.225")


def test_five_of_twenty_lost_is_not_enough_to_fail_a_0_15_margin_but_eight_are() -> None:
    five = _pairs(20, both=0, lost=5, gained=0)
    eight = _pairs(20, both=0, lost=8, gained=0)

    row5 = _only(_gate(_unit(five[0]), _unit(five[1]), _rules(max_drop=0.15)))
    row8 = _only(_gate(_unit(eight[0]), _unit(eight[1]), _rules(max_drop=0.15)))

    assert row5.status is Status.WARN and row5.ci_high is not None and row5.ci_high > -0.15
    assert row8.status is Status.FAIL and row8.ci_high is not None and row8.ci_high < -0.15
    assert row8.reasons == [
        "dropped 0.400 (0.400 → 0.000): the 95% CI of the change [-0.613, -0.174] "
        "lies entirely below -0.150 (max_drop 0.150)"
    ]


def test_readme_worked_example_200_pairs_12_lost_8_gained_margin_0_05_is_inconclusive() -> None:
    before, after = _pairs(200, both=148, lost=12, gained=8)

    row = _only(_gate(_unit(before), _unit(after), _rules(max_drop=0.05)))

    assert (row.baseline, row.current, row.delta) == (0.8, 0.78, -0.02)
    assert (row.ci_low, row.ci_high) == pytest.approx((-0.067860, 0.025748), abs=1e-6)
    assert row.p_value == pytest.approx(0.503445, abs=1e-6)
    assert row.status is Status.WARN
    assert len(row.flips["pass_to_fail"]) == 12 and len(row.flips["fail_to_pass"]) == 8


def test_samples_on_one_side_only_are_counted_and_compared_as_independent_samples() -> None:
    before, after = _pairs(30, both=20, lost=0, gained=0)
    before["old-1"] = 1.0
    after["new-1"] = 0.0
    after["new-2"] = 1.0

    row = _only(_gate(_unit(before), _unit(after), _rules(max_drop=0.2)))

    assert row.n_paired == 30 and row.test == "partially-paired-t"
    assert (
        "sample set changed: 1 sample(s) only in the baseline, 2 only in this run; the "
        "interval compares the whole sets (30 paired, the rest as independent samples)" in row.notes
    )


def test_without_baseline_samples_the_comparison_is_unpaired_and_says_so() -> None:
    before, after = _pairs(100, both=60, lost=0, gained=0)
    old = _unit(before)
    old.outcomes = {}

    row = _only(_gate(old, _unit(after), _rules(max_drop=0.15)))

    assert row.test == "unpaired-normal" and row.n_paired is None
    assert any(
        "unpaired comparison from standard errors: the baseline has no per-sample" in n
        for n in row.notes
    )
    assert (row.ci_low, row.ci_high) == pytest.approx((-0.136475, 0.136475), abs=1e-6)
    assert row.status is Status.PASS  # 0 ± 1.96 * sqrt(2) * 0.0492: wider than paired


def test_continuous_scores_use_the_paired_t_and_clusters_the_cluster_robust_t() -> None:
    before = {f"s{i:02d}": (i % 7) / 7 for i in range(40)}
    after = {sid: max(0.0, v - 0.6) if i < 3 else v for i, (sid, v) in enumerate(before.items())}
    clusters = {sid: f"passage-{i // 4}" for i, sid in enumerate(before)}

    plain = _only(_gate(_unit(before), _unit(after), _rules(max_drop=0.1)))
    grouped = _only(
        _gate(
            _unit(before, clusters=clusters), _unit(after, clusters=clusters), _rules(max_drop=0.1)
        )
    )

    assert plain.test == "paired-t" and grouped.test == "cluster-robust-t"
    assert plain.flips == {"worse": [], "better": []}
    assert grouped.ci_low is not None and plain.ci_low is not None
    assert plain.delta == grouped.delta


def test_continuous_flips_are_moves_of_more_than_half_a_point() -> None:
    before = {"a": 0.9, "b": 0.2, "c": 0.5, "d": 0.5}
    after = {"a": 0.3, "b": 0.8, "c": 0.1, "d": 0.5}

    row = _only(_gate(_unit(before), _unit(after), _rules(max_drop=0.1)))

    assert row.flips == {"worse": ["a"], "better": ["b"]}


def test_holm_correction_turns_a_lone_fail_into_warn_when_three_comparisons_share_the_check() -> (
    None
):
    tasks = ["t1", "t2", "t3"]
    pairs = {task: _pairs(100, both=50, lost=9, gained=1, prefix=task) for task in tasks}
    olds = [_unit(pairs[t][0], task=t) for t in tasks]
    news = [_unit(pairs[t][1], task=t) for t in tasks]

    alone = _only(_gate(olds[0], news[0], _rules(max_drop=0.0)))
    together = _gate(olds, news, _rules(max_drop=0.0))

    assert alone.status is Status.FAIL and alone.p_value == pytest.approx(22 / 1024)
    assert [row.status for row in together.rows] == [Status.WARN] * 3
    assert all(row.p_value == pytest.approx(3 * 22 / 1024) for row in together.rows)
    assert "not significant after Holm correction over 3 comparisons" in together.rows[0].reasons[0]


def test_a_rule_may_use_its_own_confidence_level() -> None:
    before, after = _pairs(200, both=148, lost=12, gained=8)
    thresholds = Thresholds(
        version=1, confidence=0.95, rules=[ThresholdRule(max_drop=0.05, confidence=0.6)]
    )

    row = _only(_gate(_unit(before), _unit(after), thresholds))

    assert row.confidence == 0.6
    assert row.ci_low is not None and row.ci_low > -0.05
    assert row.status is Status.PASS


def test_fingerprint_change_turns_a_comparison_into_warn_unless_allowed() -> None:
    before, after = _pairs(200, both=150, lost=0, gained=0)
    newer = {**FINGERPRINT, "engine_version": "0.33.0", "prompt_digest": "p2"}
    old, new = _unit(before), _unit(after, fingerprint=newer)
    allowed = Thresholds(
        version=1, allow_fingerprint_change=["engine_version"], rules=[ThresholdRule(max_drop=0.05)]
    )

    strict = _gate(old, new, _rules(max_drop=0.05))
    lenient = _gate(old, new, allowed)

    assert _only(strict).status is Status.WARN
    assert "not like-for-like: engine_version 0.32.0 → 0.33.0" in _only(strict).reasons[0]
    assert strict.fingerprint_notes == [
        "smol/arithmetic: fingerprint differs from the baseline (engine_version 0.32.0 → "
        "0.33.0): its comparisons are WARN; allow it with `allow_fingerprint_change: "
        "[engine_version]`"
    ]
    assert _only(lenient).status is Status.PASS
    assert "allowed by the thresholds file" in lenient.fingerprint_notes[0]


def test_floors_still_fail_when_the_fingerprint_changed() -> None:
    before, after = _pairs(20, both=0, lost=5, gained=0)
    new = _unit(after, fingerprint={**FINGERPRINT, "device": "NVIDIA H100"})

    result = _gate(_unit(before), new, SMOKE)

    assert _only(result).status is Status.FAIL
    assert result.exit_code == 1


PERF_RULES = Thresholds(
    version=1,
    rules=[
        ThresholdRule(
            perf={
                "tokens_per_s": {"max_drop_pct": 20},
                "latency_p95_s": {"max_rise_pct": 30},
                "peak_gpu_memory_mib": {"max_rise_pct": 10},
            }
        )
    ],
)


def test_perf_gates_compare_relative_changes_and_warn_on_unmeasured() -> None:
    before, after = _pairs(20, both=5, lost=0, gained=0)
    base = {"smol/arithmetic": {"tokens_per_s": 100.0, "latency_p95_s": 2.0}}
    now = {"smol/arithmetic": {"tokens_per_s": 70.0, "latency_p95_s": 2.5}}

    result = _gate(_unit(before), _unit(after), PERF_RULES, perf=now, baseline_perf=base)

    got = {row.measure: (row.status, row.change_pct, row.tolerance_pct) for row in result.perf_rows}
    assert got == {
        "tokens_per_s": (Status.FAIL, -30.0, 20),
        "latency_p95_s": (Status.PASS, 25.0, 30),
        "peak_gpu_memory_mib": (Status.WARN, None, 10),
    }
    assert result.perf_rows[0].reasons == [
        "tokens_per_s dropped 30.0% (100 → 70), more than max_drop_pct 20"
    ]
    assert result.exit_code == 1 and result.status is Status.FAIL


def test_perf_within_tolerance_passes_and_ungated_measures_are_shown_as_information() -> None:
    before, after = _pairs(20, both=5, lost=0, gained=0)
    base = {"smol/arithmetic": {"tokens_per_s": 100.0}}
    now = {"smol/arithmetic": {"tokens_per_s": 81.0}}
    rule = Thresholds(version=1, rules=[ThresholdRule(perf={"tokens_per_s": {"max_drop_pct": 20}})])

    gated = _gate(_unit(before), _unit(after), rule, perf=now, baseline_perf=base)
    ungated = _gate(_unit(before), _unit(after), SMOKE, perf=now, baseline_perf=base)

    assert [(r.measure, r.status) for r in gated.perf_rows] == [("tokens_per_s", Status.PASS)]
    assert gated.perf_rows[0].tolerance_pct == 20
    (info,) = ungated.perf_rows
    assert (info.measure, info.status, info.tolerance_pct) == ("tokens_per_s", Status.PASS, None)
    assert info.change_pct == -19.0 and info.reasons == []
    assert ungated.exit_code == 0


def test_ungated_perf_measure_never_fails_even_when_it_collapses() -> None:
    before, after = _pairs(20, both=5, lost=0, gained=0)
    base = {"smol/arithmetic": {"tokens_per_s": 100.0, "latency_p95_s": 1.0}}
    now = {"smol/arithmetic": {"tokens_per_s": 1.0, "latency_p95_s": 50.0}}

    result = _gate(_unit(before), _unit(after), SMOKE, perf=now, baseline_perf=base)

    assert [r.status for r in result.perf_rows] == [Status.PASS, Status.PASS]
    assert result.exit_code == 0


def test_gate_result_with_statistics_and_perf_round_trips_through_dict() -> None:
    before, after = _pairs(20, both=0, lost=5, gained=0)
    result = _gate(
        _unit(before),
        _unit(after),
        PERF_RULES,
        perf={"smol/arithmetic": {"tokens_per_s": 50.0}},
        baseline_perf={"smol/arithmetic": {"tokens_per_s": 100.0}},
    )

    again = GateResult.from_dict(result.to_dict())

    assert again == result
    assert again.to_dict()["rows"][0]["test"] == "mcnemar-exact"
    assert again.exit_code == 1


def test_same_near_boundary_inputs_always_give_the_same_verdict() -> None:
    before = {f"s{i:03d}": ((i * 37) % 100) / 100 for i in range(150)}
    after = {sid: v - 0.05 + ((i * 13) % 11 - 5) / 50 for i, (sid, v) in enumerate(before.items())}
    rows = [_only(_gate(_unit(before), _unit(after), _rules(max_drop=0.05))) for _ in range(5)]

    assert rows[0].ci_low is not None and abs(rows[0].ci_low + 0.05) < 0.05  # near the margin
    assert all(row == rows[0] for row in rows)


def test_thresholds_reject_perf_on_a_metric_pattern_and_out_of_range_confidence() -> None:
    with pytest.raises(ValidationError, match="leave `metric` at"):
        ThresholdRule(metric="accuracy", perf={"tokens_per_s": {"max_drop_pct": 10}})
    with pytest.raises(ValidationError):
        Thresholds(version=1, confidence=1.0)
    with pytest.raises(ValidationError, match="max_dropp"):
        ThresholdRule(perf={"tokens_per_s": {"max_dropp_pct": 10}})


def test_thresholds_file_with_confidence_perf_and_allowed_changes_loads(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "version: 1\nconfidence: 0.9\nallow_fingerprint_change: [engine_version]\nrules:\n"
        "  - max_drop: 0.05\n    confidence: 0.99\n"
        "  - task: code\n"
        "    perf: {tokens_per_s: {max_drop_pct: 20}, latency_p95_s: {max_rise_pct: 30}}\n"
    )

    loaded = load_thresholds(path)

    assert loaded.confidence == 0.9 and loaded.allow_fingerprint_change == ["engine_version"]
    assert loaded.rules[1].perf is not None
    assert loaded.rules[1].perf.latency_p95_s is not None
    assert loaded.rules[1].perf.latency_p95_s.max_rise_pct == 30


def test_sandbox_isolation_is_noted_and_a_different_isolation_stays_comparable() -> None:
    before = {f"HumanEval/{i}": 0.0 for i in range(10)}
    old = _unit(before, task="humaneval", metric="pass@1")
    new = _unit(before, task="humaneval", metric="pass@1")
    old.fingerprint["sandbox"] = "bwrap"
    new.fingerprint["sandbox"] = "rlimits"

    result = _gate(old, new, SMOKE)

    assert result.fingerprint_notes == [
        "smol/humaneval: model-written code ran with `rlimits` isolation"
    ]
    assert _only(result).status is Status.PASS
