"""History on the real engine: two `evalspec check` runs of the smoke spec, indexed as their
results.json say (the second, or both after other e2e tests, take their outputs from the
session's response cache)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalspec.cli import cli
from evalspec.history import HistoryIndex
from evalspec.history.importing import import_runs
from evalspec.history.load import load_entries

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_two_smoke_checks_are_indexed_as_their_results_json(tmp_path: Path) -> None:
    runs, history = tmp_path / "runs", tmp_path / "history.sqlite"
    for _ in range(2):
        result = CliRunner().invoke(
            cli,
            [
                "check",
                str(REPO / "specs" / "smoke.yaml"),
                "--runs-dir",
                str(runs),
                "--quiet",
                "--history",
                str(history),
            ],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        assert "warning" not in result.stderr

    with HistoryIndex(history, create=False) as index:
        entries = load_entries(index, samples=True)
    run_dirs = sorted(p for p in runs.iterdir() if p.is_dir())
    assert [e.run_id for e in entries] == [p.name for p in run_dirs]
    for entry, run_dir in zip(entries, run_dirs, strict=True):
        results = json.loads((run_dir / "results.json").read_text())
        assert {(m.unit_id, m.metric): (m.value, m.stderr, m.n) for m in entry.metrics} == {
            (u["unit_id"], name): (m["value"], m["stderr"], m["n"])
            for u in results["units"]
            for name, m in u["metrics"].items()
        }
        assert {u.unit_id: (u.unit_hash, u.perf) for u in entry.units} == {
            u["unit_id"]: (u["unit_hash"], results["perf"][u["unit_id"]]) for u in results["units"]
        }
        assert len(entry.samples) == sum(len(u["outcomes"]) for u in results["units"]) == 50
        assert entry.gate_status == "PASS" and {m.status for m in entry.metrics} == {"PASS"}

    fresh = tmp_path / "imported.sqlite"
    assert len(import_runs([runs], fresh).indexed) == 2
    with HistoryIndex(fresh, create=False) as index:
        imported = load_entries(index, samples=True)
    assert [(e.metrics, e.units, e.samples) for e in imported] == [
        (e.metrics, e.units, e.samples) for e in entries
    ]
