"""Markdown and JSON reports of a gate result."""

from __future__ import annotations

import json
from collections.abc import Sequence

from evalspec.gate import GateResult, Status, baseline_from_results, evaluate
from evalspec.report import render_json, render_markdown
from evalspec.scoring.results import Metric, UnitResult
from evalspec.spec.thresholds import ThresholdRule, Thresholds

RUN = "20260101T120000Z-smoke-abc123"


def _unit(
    task: str,
    value: float,
    *,
    adapter: str | None = None,
    unit_hash: str = "h" * 64,
    error: str | None = None,
) -> UnitResult:
    name = "smol" if adapter is None else f"smol+{adapter}"
    return UnitResult(
        unit_id=f"{name}/{task}",
        unit_hash=unit_hash,
        model="smol",
        adapter=adapter,
        task=task,
        metrics={} if error else {"accuracy": Metric("accuracy", value, 0.04, 20)},
        outcomes={} if error else {f"s{i:02d}": value for i in range(40)},
        error=error,
    )


def _mixed_result() -> GateResult:
    baseline = baseline_from_results(
        "smoke",
        "R0",
        None,
        [_unit("arith", 0.45), _unit("code", 0.3), _unit("gone", 0.3), _unit("qa", 0.5)],
    )
    units = [
        _unit("arith", 0.2),
        _unit("code", 0.3, unit_hash="k" * 64),
        _unit("sql", 0.7, adapter="sql-v3"),
        _unit("qa", 0.0, error="engine would not load:\nout of memory"),
    ]
    return evaluate(units, Thresholds(version=1, rules=[ThresholdRule(max_drop=0.1)]), baseline)


def _render(result: GateResult, fingerprint_notes: Sequence[str] = ()) -> str:
    return render_markdown(
        result,
        spec_name="smoke",
        run_id=RUN,
        baseline_run_id="R0",
        fingerprint_notes=fingerprint_notes,
    )


def test_markdown_starts_with_marker_and_one_line_verdict() -> None:
    lines = _render(_mixed_result()).splitlines()

    assert lines[0] == "<!-- evalspec:report spec=smoke -->"
    assert lines[1] == (
        f"**FAIL** — 1 regression, 1 error, 2 warnings in smoke (run {RUN}, baseline from run R0)"
    )


def _cells(text: str, task: str) -> list[str]:
    row = next(
        line for line in text.splitlines() if line.startswith("| smol") and f" {task} " in line
    )
    return [c.strip() for c in row.strip("|").split(" | ")]


def test_markdown_table_rows_show_values_delta_and_marks() -> None:
    text = _render(_mixed_result())

    assert "| Model | Task | Metric | Baseline | Candidate | Δ | 95% CI | p | Verdict |" in text
    cells = {task: _cells(text, task) for task in ("arith", "code", "sql", "qa", "gone")}
    assert cells["arith"][:6] + cells["arith"][-1:] == [
        "smol",
        "arith",
        "accuracy",
        "0.450",
        "0.200 ± 0.040",
        "-0.250",
        "❌ FAIL",
    ]
    assert cells["code"][:6] + cells["code"][-1:] == [
        "smol",
        "code",
        "accuracy",
        "0.300",
        "0.300 ± 0.040",
        "0.000",
        "✅ PASS",
    ]
    assert cells["sql"] == [
        "smol+sql-v3",
        "sql",
        "accuracy",
        "—",
        "0.700 ± 0.040",
        "—",
        "—",
        "—",
        "⚠️ WARN",
    ]
    assert cells["qa"] == ["smol", "qa", "accuracy", "0.500", "—", "—", "—", "—", "💥 ERROR"]
    assert cells["gone"] == ["smol", "gone", "accuracy", "0.300", "—", "—", "—", "—", "⚠️ WARN"]


def test_markdown_explains_each_non_pass_row_worst_first() -> None:
    text = _render(_mixed_result())
    reasons = [line for line in text.splitlines() if line.startswith("- ")]

    # the FAIL reason's wording belongs to the gate; its label and order to the report
    assert reasons[0].startswith("- ❌ smol/arith accuracy dropped 0.250 (0.450 → 0.200)")
    assert reasons[1:] == [
        "- 💥 smol/qa accuracy: engine would not load: out of memory",
        "- ⚠️ smol+sql-v3/sql accuracy: no baseline for this unit; run `evalspec baseline update`",
        "- ⚠️ smol/gone accuracy: in baseline, missing from this run",
    ]


def test_markdown_lists_changed_configurations_and_fingerprint_notes() -> None:
    text = _render(_mixed_result(), fingerprint_notes=["vllm 0.10.1 → 0.11.0"])

    assert "**Configuration changed since baseline**" in text
    assert "smol/code" in text.split("**Configuration changed since baseline**")[1]
    assert "**Notes**\n\n- vllm 0.10.1 → 0.11.0" in text


def test_markdown_escapes_pipes_and_newlines_inside_cells() -> None:
    unit = UnitResult(
        unit_id="smol/a|b",
        unit_hash="h",
        model="smol",
        adapter=None,
        task="a|b",
        metrics={"x\ny": Metric("x\ny", 0.5, 0.1, 4)},
    )
    text = _render(evaluate([unit], None, None))
    row = next(line for line in text.splitlines() if line.startswith("| smol |"))

    assert row == "| smol | a\\|b | x<br>y | — | 0.500 ± 0.100 | — | — | — | ✅ PASS |"
    assert row.replace("\\|", "").count("|") == 10


def test_passing_report_has_no_reason_list_and_says_all_passed() -> None:
    units = [_unit("arith", 0.5)]
    baseline = baseline_from_results("smoke", "R0", None, units)
    result = evaluate(units, Thresholds(version=1, rules=[ThresholdRule(max_drop=0.1)]), baseline)

    text = _render(result)

    assert text.splitlines()[1].startswith("**PASS** — all 1 checks passed in smoke")
    assert "**Why**" not in text
    assert "**Notes**" not in text
    assert text.endswith("exit code 0</sub>\n")


def test_report_without_baseline_says_so() -> None:
    text = render_markdown(
        evaluate([_unit("arith", 0.5)], None, None),
        spec_name="smoke",
        run_id=RUN,
        baseline_run_id=None,
    )

    assert f"(run {RUN}, no baseline)" in text.splitlines()[1]


def test_json_report_round_trips_the_gate_result() -> None:
    result = _mixed_result()

    text = render_json(
        result, spec_name="smoke", run_id=RUN, baseline_run_id="R0", fingerprint_notes=["n1"]
    )
    data = json.loads(text)

    back = GateResult.from_dict(data)
    assert (back.rows, back.perf_rows) == (result.rows, result.perf_rows)
    assert data["spec"] == "smoke"
    assert data["run_id"] == RUN
    assert data["baseline_run_id"] == "R0"
    assert data["status"] == "FAIL"
    assert data["exit_code"] == 1
    assert data["counts"] == {"PASS": 1, "WARN": 2, "ERROR": 1, "FAIL": 1}
    assert data["fingerprint_notes"] == ["n1"]
    assert data["rows"][0]["status"] == Status.FAIL


def test_json_report_is_stable_text() -> None:
    first = render_json(_mixed_result(), spec_name="smoke", run_id=RUN, baseline_run_id=None)
    again = render_json(_mixed_result(), spec_name="smoke", run_id=RUN, baseline_run_id=None)

    assert first == again
    assert (
        first == json.dumps(json.loads(first), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    )
