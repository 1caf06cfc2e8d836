"""Verdicts that were wrong: changed sample sets, clustered samples, NaN perf, failed candidates.

Driven through `evalspec diff` on run directories written by the real store.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from cli_runs import error_line, run_evalspec
from report_runs import UNIT, unit_result, write_run

from evalspec.store import Run, RunStore


def _rules(tmp_path: Path, text: str = "  - max_drop: 0.05\n") -> str:
    path = tmp_path / "th.yaml"
    path.write_text("version: 1\nrules:\n" + text)
    return str(path)


def _diff(tmp_path: Path, a: Path, b: Path, *extra: str) -> tuple[int, str, str, dict[str, Any]]:
    report = tmp_path / "report.json"
    proc = run_evalspec("diff", str(a), str(b), "--report-json", str(report), *extra, cwd=tmp_path)
    data = json.loads(report.read_text()) if report.exists() else {}
    return proc.returncode, proc.stdout, proc.stderr, data


def test_new_failing_sample_ids_are_judged_not_ignored(tmp_path: Path) -> None:
    # baseline 1.000 on 200 ids; the candidate passes the 100 shared and fails 100 new ones
    old = {f"s{i:03d}": 1.0 for i in range(200)}
    new = {**{f"s{i:03d}": 1.0 for i in range(100)}, **{f"n{i:03d}": 0.0 for i in range(100)}}
    a = write_run(tmp_path / "runs", old, "OLD").path
    b = write_run(tmp_path / "runs", new, "NEW").path

    code, out, _, report = _diff(tmp_path, a, b, "--thresholds", _rules(tmp_path))

    (row,) = report["rows"]
    assert code == 1, out
    assert (row["current"], row["delta"], row["status"]) == (0.5, -0.5, "FAIL")
    assert row["test"] == "partially-paired-t" and row["n_paired"] == 100
    assert row["ci_high"] < -0.45
    assert (
        "sample set changed: 100 sample(s) only in the baseline, 100 only in this run; the "
        "interval compares the whole sets (100 paired, the rest as independent samples)"
        in row["notes"]
    )


def test_new_sample_ids_that_pass_too_still_pass(tmp_path: Path) -> None:
    old = {f"s{i:03d}": 1.0 for i in range(200)}
    new = {**{f"s{i:03d}": 1.0 for i in range(100)}, **{f"n{i:03d}": 1.0 for i in range(100)}}
    a = write_run(tmp_path / "runs", old, "OLD").path
    b = write_run(tmp_path / "runs", new, "NEW").path

    code, out, _, report = _diff(tmp_path, a, b, "--thresholds", _rules(tmp_path))

    assert code == 0, out
    assert report["rows"][0]["status"] == "PASS"


def _clustered_runs(tmp_path: Path, clustered: bool) -> tuple[Path, Path]:
    """8 passages of 25 questions; every question of 2 passages goes pass -> fail."""
    old = {f"q{i:03d}": 1.0 for i in range(200)}
    new = {sid: 0.0 if i < 50 else 1.0 for i, sid in enumerate(old)}
    clusters = {sid: f"passage-{i // 25}" for i, sid in enumerate(old)} if clustered else {}
    units = [unit_result(old, clusters=clusters)], [unit_result(new, clusters=clusters)]
    a = write_run(tmp_path / "runs", old, "OLD", units=units[0]).path
    b = write_run(tmp_path / "runs", new, "NEW", units=units[1]).path
    return a, b


def test_clustered_binary_outcomes_get_a_cluster_robust_test(tmp_path: Path) -> None:
    a, b = _clustered_runs(tmp_path, clustered=True)

    code, out, _, report = _diff(tmp_path, a, b, "--thresholds", _rules(tmp_path))

    (row,) = report["rows"]
    assert row["test"] == "cluster-robust-t"
    assert 0.1 < row["p_value"] < 0.3  # two of eight passages moved: not significant
    assert row["status"] == "WARN" and code == 0, out


def test_the_same_outcomes_without_clusters_keep_exact_mcnemar(tmp_path: Path) -> None:
    a, b = _clustered_runs(tmp_path, clustered=False)

    code, _, _, report = _diff(tmp_path, a, b, "--thresholds", _rules(tmp_path))

    (row,) = report["rows"]
    assert row["test"] == "mcnemar-exact" and row["p_value"] < 1e-12
    assert row["status"] == "FAIL" and code == 1


PERF_RULE = "  - perf: {tokens_per_s: {max_drop_pct: 20}}\n"


def _with_nan_perf(run: Run) -> None:
    """A results.json whose tokens_per_s is NaN (evalspec never writes one: edited by hand)."""
    path = run.path / "results.json"
    data = json.loads(path.read_text())
    data["perf"][UNIT]["tokens_per_s"] = math.nan
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("side", ["baseline", "candidate"])
def test_nan_perf_in_either_run_is_rejected_never_compared(tmp_path: Path, side: str) -> None:
    scores = {f"s{i}": 1.0 for i in range(8)}
    a = write_run(tmp_path / "runs", scores, "A", perf={UNIT: {"tokens_per_s": 80.0}})
    b = write_run(tmp_path / "runs", scores, "B", perf={UNIT: {"tokens_per_s": 80.0}})
    damaged = a if side == "baseline" else b
    _with_nan_perf(damaged)

    proc = run_evalspec("diff", str(a.path), str(b.path), cwd=tmp_path)

    assert error_line(proc, 2) == (
        f"error: {damaged.path / 'results.json'}: perf.{UNIT}.tokens_per_s: Input should be a "
        "finite number; the file is damaged or was edited by hand: rerun the check that made it"
    )


def test_diff_against_a_run_that_failed_before_any_unit_is_exit_3(tmp_path: Path) -> None:
    scores = {f"s{i}": 1.0 for i in range(8)}
    good = write_run(tmp_path / "runs", scores, "A")
    failed = write_run(tmp_path / "runs", scores, "B", units=[], status="failed")

    proc = run_evalspec("diff", str(good.path), str(failed.path), cwd=tmp_path)

    assert error_line(proc, 3) == (
        f"error: run {failed.run_id} failed before any unit finished: there is nothing to "
        "compare; see its log, fix the failure and rerun the check"
    )


def test_diff_against_a_run_that_never_finished_is_exit_3(tmp_path: Path) -> None:
    good = write_run(tmp_path / "runs", {"s0": 1.0}, "A")
    running = RunStore(tmp_path / "runs").create("smoke", {})

    proc = run_evalspec("diff", str(good.path), str(running.path), cwd=tmp_path)

    assert error_line(proc, 3) == (
        f"error: run {running.run_id} has status 'running': it never finished, so there is "
        "nothing to compare; rerun the check"
    )


def test_units_a_failed_candidate_lacks_are_errors_not_warnings(tmp_path: Path) -> None:
    scores = {f"s{i}": 1.0 for i in range(8)}
    both = [unit_result(scores), unit_result(scores, task="code")]
    good = write_run(tmp_path / "runs", scores, "A", units=both)
    partial = write_run(tmp_path / "runs", scores, "B", units=both[:1], status="failed")

    code, out, _, report = _diff(tmp_path, good.path, partial.path)

    assert code == 3, out
    missing = [row for row in report["rows"] if row["task"] == "code"]
    assert [row["status"] for row in missing] == ["ERROR"]
    assert missing[0]["reasons"] == [
        f"in baseline, missing from this run: run {partial.run_id} failed before this unit finished"
    ]
