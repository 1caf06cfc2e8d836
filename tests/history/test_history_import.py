"""`evalspec history import`: run directories made elsewhere, indexed once, as checked."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from recorded_checks import Recorded

from evalspec.cli import cli
from evalspec.history import HistoryIndex, RunEntry
from evalspec.history.importing import import_runs
from evalspec.history.load import load_entries


def _load(path: Path) -> list[RunEntry]:
    with HistoryIndex(path, create=False) as index:
        return load_entries(index, samples=True)


def _dump(path: Path) -> list[tuple[object, ...]]:
    """Every row of every table but the time each run was indexed."""
    db = sqlite3.connect(path)
    tables = ("runs", "units", "metrics", "perf_verdicts", "samples")
    rows = [r for t in tables for r in db.execute(f"SELECT * FROM {t} ORDER BY 1, 2")]
    db.close()
    return [r[:-1] if len(r) == 19 else r for r in rows]


def test_an_artifact_imports_to_what_the_checks_recorded(
    recorded: Recorded, tmp_path: Path
) -> None:
    artifact = tmp_path / "artifact"
    shutil.copytree(recorded.runs, artifact / "runs")  # as downloaded: nested, another place
    fresh = tmp_path / "fresh.sqlite"

    summary = import_runs([artifact], fresh)

    assert summary.indexed == [o.run_id for o in recorded.outcomes]
    assert (summary.already, summary.skipped, summary.damaged) == ([], [], [])
    imported, original = _load(fresh), _load(recorded.history)
    assert [e.source for e in imported] == ["import", "import"]
    assert [replace(e, source="check", run_dir=None) for e in imported] == [
        replace(e, run_dir=None) for e in original
    ]


def test_import_is_idempotent(recorded: Recorded, tmp_path: Path) -> None:
    index = tmp_path / "history.sqlite"
    first = import_runs([recorded.runs], index)
    once = _dump(index)

    again = import_runs([recorded.runs, *(o.run_dir for o in recorded.outcomes)], index)

    assert len(first.indexed) == 2
    assert again.indexed == [] and sorted(again.already) == sorted(first.indexed)
    assert _dump(index) == once


def test_runs_already_recorded_by_check_are_left_alone(recorded: Recorded) -> None:
    before = _dump(recorded.history)

    summary = import_runs([recorded.runs], recorded.history)

    assert summary.indexed == [] and len(summary.already) == 2
    assert _dump(recorded.history) == before


def test_unfinished_damaged_and_report_less_runs(recorded: Recorded, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    shutil.copytree(recorded.runs, runs)
    first, second = (runs / o.run_id for o in recorded.outcomes)
    running = runs / "20990101T000000Z-hist-aaaaaa"
    shutil.copytree(first, running)
    manifest = json.loads((running / "manifest.json").read_text())
    (running / "manifest.json").write_text(
        json.dumps(manifest | {"run_id": running.name, "status": "running"})
    )
    (first / "report.json").unlink()  # a run from before evalspec kept its verdicts
    (second / "results.json").write_text("{not json")
    index = tmp_path / "history.sqlite"

    result = CliRunner().invoke(cli, ["history", "import", str(runs), "--history", str(index)])

    assert result.exit_code == 2, result.output
    assert f"skipped {running}: status 'running'" in result.output
    assert f"error: {second / 'results.json'}:1: invalid JSON" in result.output
    assert "1 run(s) indexed, 0 already there, 1 not finished, 1 unreadable" in result.output
    (entry,) = _load(index)
    assert entry.run_id == first.name and entry.gate_status is None
    assert {m.status for m in entry.metrics} == {None}  # values kept, no invented verdicts
    assert all(m.value is not None for m in entry.metrics)


def test_a_path_that_is_not_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["history", "import", str(tmp_path / "nope"), "--history", str(tmp_path / "h.sqlite")]
    )

    assert result.exit_code == 2
    assert (
        result.output.strip()
        == f"error: {tmp_path / 'nope'}: not a directory; pass run directories or folders of them"
    )
    assert not (tmp_path / "h.sqlite").exists()
