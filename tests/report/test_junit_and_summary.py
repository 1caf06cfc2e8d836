"""JUnit XML (parsed back with xml.etree), the step summary, and `evalspec diff` writing both."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner
from report_runs import outcomes, write_run

from evalspec.cli import cli
from evalspec.gate import GateResult, GateRow, Status
from evalspec.gate.verdict import PerfRow
from evalspec.report import append_step_summary, render_junit


def _row(task: str, status: Status, reasons: list[str]) -> GateRow:
    return GateRow("smol", None, task, "accuracy", 0.5, 0.1, 0.25, 0.1, -0.25, 8, status, reasons)


def _result() -> GateResult:
    return GateResult(
        rows=[
            _row("arith", Status.FAIL, ["dropped 0.250", "below min 0.300"]),
            _row("code", Status.PASS, []),
            _row("qa", Status.ERROR, ["engine would not load"]),
            _row("sql", Status.WARN, ["no baseline for this unit"]),
        ],
        perf_rows=[
            PerfRow(
                "smol/arith",
                "smol",
                None,
                "arith",
                "latency_p95_s",
                1.0,
                2.0,
                100.0,
                50.0,
                Status.FAIL,
                ["latency rose 100.0%"],
            )
        ],
    )


def test_junit_has_one_case_per_row_with_failures_and_errors() -> None:
    root = ET.fromstring(render_junit(_result(), spec_name="smoke", run_id="R1"))

    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("name") == "evalspec.smoke"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "2", "1")
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    assert set(cases) == {
        ("smoke.smol/arith", "accuracy"),
        ("smoke.smol/code", "accuracy"),
        ("smoke.smol/qa", "accuracy"),
        ("smoke.smol/sql", "accuracy"),
        ("smoke.smol/arith.perf", "latency_p95_s"),
    }
    failure = cases[("smoke.smol/arith", "accuracy")].find("failure")
    assert failure is not None
    assert failure.get("message") == "dropped 0.250; below min 0.300"
    assert "baseline 0.500, candidate 0.250, delta -0.250" in (failure.text or "")
    assert list(cases[("smoke.smol/code", "accuracy")]) == []
    error = cases[("smoke.smol/qa", "accuracy")].find("error")
    assert error is not None and error.get("message") == "engine would not load"
    warn = cases[("smoke.smol/sql", "accuracy")]
    assert warn.find("failure") is None
    assert "WARN: no baseline for this unit" in (warn.findtext("system-out") or "")
    perf = cases[("smoke.smol/arith.perf", "latency_p95_s")].find("failure")
    assert perf is not None and perf.get("message") == "latency rose 100.0%"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties == {"run_id": "R1", "status": "FAIL"}


def test_step_summary_is_appended_when_the_variable_is_set(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")

    written = append_step_summary("# report", env={"GITHUB_STEP_SUMMARY": str(summary)})
    append_step_summary("# second\n", env={"GITHUB_STEP_SUMMARY": str(summary)})

    assert written == summary
    assert summary.read_text() == "earlier step\n# report\n\n# second\n\n"
    assert append_step_summary("# report", env={}) is None


def test_diff_gates_run_b_against_run_a_and_writes_every_report(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    old = write_run(runs, outcomes(set(range(30)), n=40), "OLD")
    new = write_run(runs, outcomes(set(range(5)), n=40), "NEW")
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text("version: 1\nrules:\n  - metric: '*'\n    max_drop: 0.1\n")
    summary = tmp_path / "step-summary.md"
    md, js, xml = tmp_path / "r.md", tmp_path / "r.json", tmp_path / "r.xml"

    result = CliRunner().invoke(
        cli,
        [
            "diff",
            old.run_id,
            str(new.path),
            "--runs-dir",
            str(runs),
            "--thresholds",
            str(thresholds),
            "--report-md",
            str(md),
            "--report-json",
            str(js),
            "--junit",
            str(xml),
        ],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )

    assert result.exit_code == 1, result.output
    text = md.read_text()
    assert text.startswith("<!-- evalspec:report spec=smoke -->\n**FAIL**")
    assert f"(run {new.run_id}, baseline from run {old.run_id})" in text
    assert (
        "<summary>❌ smol/arith: 25 samples passed in the baseline and fail now</summary>" in text
    )
    assert "Baseline output:\n\n```\nOLD s" in text
    assert summary.read_text() == text + "\n"
    assert json.loads(js.read_text())["exit_code"] == 1
    failures = ET.parse(xml).getroot().findall(".//failure")
    assert failures and "dropped 0.625" in (failures[0].get("message") or "")


def test_diff_of_a_run_with_itself_passes_without_thresholds(tmp_path: Path) -> None:
    run = write_run(tmp_path, outcomes({0, 3}), "SAME")

    result = CliRunner().invoke(
        cli, ["diff", run.run_id, run.run_id, "--runs-dir", str(tmp_path)], env={}
    )

    assert result.exit_code == 0, result.output
    assert "**PASS**" in result.output
    assert "**Flipped samples**" not in result.output


def test_diff_of_an_unknown_run_is_a_usage_error(tmp_path: Path) -> None:
    run = write_run(tmp_path, outcomes({0}), "X")

    result = CliRunner().invoke(
        cli, ["diff", "no-such-run", run.run_id, "--runs-dir", str(tmp_path)]
    )

    assert result.exit_code == 2
    assert "no run 'no-such-run'" in result.output
