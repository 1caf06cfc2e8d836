"""The performance table and fingerprint notes in the markdown and JSON reports."""

from __future__ import annotations

import json

from evalspec.gate import GateResult, GateRow, Status
from evalspec.gate.verdict import PerfRow
from evalspec.report import render_json, render_markdown


def _perf(status: Status, change: float, reasons: list[str]) -> PerfRow:
    return PerfRow(
        unit_id="smol+sql/arith",
        model="smol",
        adapter="sql",
        task="arith",
        measure="tokens_per_s",
        baseline=20.0,
        current=20.0 * (1 + change / 100),
        change_pct=change,
        tolerance_pct=20.0,
        status=status,
        reasons=reasons,
    )


def _passing_row() -> GateRow:
    return GateRow("smol", None, "arith", "accuracy", 0.5, 0.1, 0.5, 0.1, 0.0, 8, Status.PASS)


def test_perf_rows_form_a_table_and_failures_are_explained() -> None:
    result = GateResult(
        rows=[_passing_row()],
        perf_rows=[_perf(Status.FAIL, -30.0, ["throughput fell 30.0%, more than 20%"])],
        fingerprint_notes=["engine vllm 0.32.0 → 0.33.0"],
    )

    text = render_markdown(result, spec_name="smoke", run_id="r", baseline_run_id="b")

    assert text.splitlines()[1].startswith("**FAIL** — 1 regression in smoke")
    perf = text.split("**Performance**")[1]
    assert "| smol+sql | arith | tokens_per_s | 20.00 | 14.00 | -30.0% | 20% | ❌ FAIL |" in perf
    assert "- ❌ smol+sql/arith tokens_per_s throughput fell 30.0%, more than 20%" in text
    assert "**Notes**\n\n- engine vllm 0.32.0 → 0.33.0" in text


def test_no_perf_rows_means_no_performance_section() -> None:
    text = render_markdown(
        GateResult(rows=[_passing_row()]), spec_name="smoke", run_id="r", baseline_run_id="b"
    )

    assert "**Performance**" not in text
    assert text.splitlines()[1].startswith("**PASS** — all 1 checks passed")


def test_json_report_carries_perf_rows_and_merged_notes() -> None:
    result = GateResult(
        rows=[_passing_row()],
        perf_rows=[_perf(Status.WARN, -10.0, ["slower"])],
        fingerprint_notes=["a"],
    )

    data = json.loads(
        render_json(
            result,
            spec_name="smoke",
            run_id="r",
            baseline_run_id=None,
            fingerprint_notes=["a", "b"],
        )
    )

    assert data["fingerprint_notes"] == ["a", "b"]
    assert data["perf_rows"][0]["measure"] == "tokens_per_s"
    assert data["perf_rows"][0]["status"] == "WARN"
    assert data["counts"]["WARN"] == 1
