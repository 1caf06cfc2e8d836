"""Every check is recorded: the index holds exactly what the run's files and the gate said."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from recorded_checks import Recorded, write_spec
from runner.fake_engine import FakeEngines

from evalspec.checking import run_check
from evalspec.history import HISTORY_ENV, HistoryIndex, HistoryQuery, RunEntry, query_history
from evalspec.history.load import load_entries
from evalspec.runner import LocalExecutor


def _entries(history: Path) -> dict[str, RunEntry]:
    with HistoryIndex(history, create=False) as index:
        return {e.run_id: e for e in load_entries(index, samples=True)}


def test_both_checks_passed_and_failed_are_indexed(recorded: Recorded) -> None:
    first, second = recorded.outcomes
    assert (first.exit_code, second.exit_code) == (0, 1)
    assert first.warnings == [] and second.warnings == []

    entries = _entries(recorded.history)

    assert list(entries) == [first.run_id, second.run_id]
    assert [(e.gate_status, e.exit_code) for e in entries.values()] == [("PASS", 0), ("FAIL", 1)]


def test_the_index_equals_each_runs_results_json(recorded: Recorded) -> None:
    entries = _entries(recorded.history)
    for outcome in recorded.outcomes:
        entry = entries[outcome.run_id]
        results = json.loads((outcome.run_dir / "results.json").read_text())
        manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
        metrics = {(m.unit_id, m.metric): (m.value, m.stderr, m.n) for m in entry.metrics}
        samples = {(s.unit_id, s.metric, s.sample_id, s.value) for s in entry.samples}

        assert metrics == {
            (u["unit_id"], name): (m["value"], m["stderr"], m["n"])
            for u in results["units"]
            for name, m in u["metrics"].items()
        }
        assert samples == {
            (u["unit_id"], name, sample_id, value)
            for u in results["units"]
            for name in u["metrics"]
            for sample_id, value in u["metric_outcomes"].get(name, u["outcomes"]).items()
        }
        assert {u.unit_id: (u.unit_hash, u.fingerprint, u.perf) for u in entry.units} == {
            u["unit_id"]: (u["unit_hash"], u["fingerprint"], results["perf"][u["unit_id"]])
            for u in results["units"]
        }
        git = manifest["environment"]["git"]
        assert (entry.git_sha, entry.git_branch, entry.git_dirty) == (
            git["sha"],
            git["branch"],
            git["dirty"],
        )
        assert (entry.spec, entry.spec_digest, entry.started_at) == (
            "hist",
            manifest["spec_digest"],
            manifest["started_at"],
        )


def test_verdicts_are_the_gates_rows(recorded: Recorded) -> None:
    first, second = recorded.outcomes
    report = json.loads(second.reports.json)
    entry = _entries(recorded.history)[second.run_id]
    verdicts = {(m.unit_id, m.metric): m for m in entry.metrics}

    for row in report["rows"]:
        kept = verdicts[(f"{row['model']}/{row['task']}", row["metric"])]
        assert (kept.status, kept.baseline, kept.delta, kept.ci_low, kept.ci_high) == (
            row["status"],
            row["baseline"],
            row["delta"],
            row["ci_low"],
            row["ci_high"],
        )
    assert verdicts[("fake/arith", "accuracy")].status == "FAIL"
    assert verdicts[("fake/arith", "accuracy")].reasons
    assert entry.baseline_run == first.run_id


def test_the_run_directory_keeps_the_checks_reports(recorded: Recorded) -> None:
    for outcome in recorded.outcomes:
        assert (outcome.run_dir / "report.json").read_text() == outcome.reports.json
        assert (outcome.run_dir / "report.md").read_text() == outcome.reports.markdown


def test_query_filters_by_globs_last_and_since(recorded: Recorded) -> None:
    first, second = recorded.outcomes
    with HistoryIndex(recorded.history, create=False) as index:

        def rows(**filters: object) -> list[tuple[str, str, str]]:
            found = query_history(index, HistoryQuery("hist", **filters))  # type: ignore[arg-type]
            return [(r.run_id, r.task, r.metric) for r in found]

        assert len(rows()) == 2 * 3  # 2 runs x (arith accuracy, echo exact_match and pass@2)
        assert rows(tasks=("ar*",)) == [
            (first.run_id, "arith", "accuracy"),
            (second.run_id, "arith", "accuracy"),
        ]
        assert {m for _, _, m in rows(metrics=("pass@?", "accuracy"))} == {"pass@2", "accuracy"}
        assert {r for r, _, _ in rows(last=1)} == {second.run_id}
        assert {r for r, _, _ in rows(models=("fake", "other*"))} == {first.run_id, second.run_id}
        assert rows(models=("other",)) == []
        started = _entries(recorded.history)[second.run_id].started
        assert {r for r, _, _ in rows(since=started)} == {second.run_id}
        assert rows(since=datetime(2999, 1, 1)) == []
        assert query_history(index, HistoryQuery("another-spec")) == []


def test_a_check_records_in_the_environments_history(tmp_path: Path) -> None:
    """$EVALSPEC_HISTORY (the session's, set in tests/conftest.py) when no path is given."""
    spec = write_spec(tmp_path, name="envhist")
    executor = LocalExecutor(FakeEngines().pool())

    outcome = run_check(spec, runs_dir=tmp_path / "runs", executor=executor)

    assert outcome.warnings == []
    with HistoryIndex(Path(os.environ[HISTORY_ENV]), create=False) as index:
        assert index.has(outcome.run_id)
