"""The verdict line says when nothing gated the run, instead of claiming a PASS."""

from __future__ import annotations

import json

from evalspec.gate import GateResult, baseline_from_results, evaluate
from evalspec.report import render_json, render_markdown
from evalspec.scoring.results import Metric, UnitResult
from evalspec.spec.thresholds import ThresholdRule, Thresholds

RUN = "20260101T120000Z-smoke-abc123"


def _unit(task: str, error: str | None = None) -> UnitResult:
    return UnitResult(
        unit_id=f"smol/{task}",
        unit_hash="h" * 64,
        model="smol",
        adapter=None,
        task=task,
        metrics={} if error else {"accuracy": Metric("accuracy", 0.5, 0.1, 20)},
        outcomes={} if error else {f"s{i}": float(i % 2) for i in range(20)},
        error=error,
    )


def _markdown(result: GateResult, baseline_run_id: str | None = None) -> str:
    return render_markdown(result, spec_name="smoke", run_id=RUN, baseline_run_id=baseline_run_id)


def test_no_thresholds_and_no_baseline_says_no_gate_and_how_to_add_one() -> None:
    result = evaluate([_unit("arith"), _unit("code"), _unit("qa")], None, None)

    text = _markdown(result)
    lines = text.splitlines()

    assert result.exit_code == 0
    assert (
        lines[1]
        == f"**NO GATE** — no gate configured: 3 metrics recorded in smoke (run {RUN}, no baseline)"
    )
    assert "PASS" not in text
    assert "record a baseline with `evalspec baseline update SPEC`" in text
    assert "| smol | arith | accuracy | — | 0.500 ± 0.100 | — | — | — | — |" in text
    data = json.loads(render_json(result, spec_name="smoke", run_id=RUN, baseline_run_id=None))
    assert data["gated"] is False and data["exit_code"] == 0


def test_a_thresholds_rule_or_a_baseline_makes_it_a_gate_again() -> None:
    units = [_unit("arith")]
    floor = Thresholds(version=1, rules=[ThresholdRule(min=0.1)])
    baseline = baseline_from_results("smoke", "R0", None, units)

    with_rule = _markdown(evaluate(units, floor, None))
    with_baseline = _markdown(evaluate(units, None, baseline), baseline_run_id="R0")

    assert with_rule.splitlines()[1].startswith("**PASS** — all 1 checks passed in smoke")
    assert with_baseline.splitlines()[1].startswith("**PASS** — all 1 checks passed in smoke")
    assert "no gate configured" not in with_rule + with_baseline


def test_a_failed_unit_without_a_gate_is_still_an_error() -> None:
    result = evaluate([_unit("arith"), _unit("code", error="engine would not load")], None, None)

    line = _markdown(result).splitlines()[1]

    assert result.exit_code == 3
    assert line.startswith("**ERROR** — 1 error in smoke")
