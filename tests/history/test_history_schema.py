"""The history index's schema, and damaged, foreign or newer databases: refused, never touched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from recorded_checks import write_spec
from runner.fake_engine import FakeEngines

from evalspec.checking import run_check
from evalspec.cli import cli
from evalspec.errors import InfraError, SpecError
from evalspec.history import HistoryIndex
from evalspec.history.schema import MIGRATIONS
from evalspec.migrations import migrate
from evalspec.runner import LocalExecutor
from evalspec.store import ResponseCache

TABLES = {
    "runs": [
        ("run_id", "TEXT", 0, 1),
        ("spec", "TEXT", 1, 0),
        ("spec_digest", "TEXT", 0, 0),
        ("spec_path", "TEXT", 0, 0),
        ("started_at", "TEXT", 1, 0),
        ("started_ts", "REAL", 1, 0),
        ("finished_at", "TEXT", 0, 0),
        ("status", "TEXT", 1, 0),
        ("git_sha", "TEXT", 0, 0),
        ("git_branch", "TEXT", 0, 0),
        ("git_dirty", "INTEGER", 0, 0),
        ("evalspec_version", "TEXT", 0, 0),
        ("executor", "TEXT", 0, 0),
        ("gate_status", "TEXT", 0, 0),
        ("exit_code", "INTEGER", 0, 0),
        ("baseline_run", "TEXT", 0, 0),
        ("source", "TEXT", 1, 0),
        ("run_dir", "TEXT", 0, 0),
        ("indexed_at", "TEXT", 1, 0),
    ],
    "units": [
        ("run_id", "TEXT", 1, 1),
        ("unit_id", "TEXT", 1, 2),
        ("unit_hash", "TEXT", 1, 0),
        ("model", "TEXT", 1, 0),
        ("adapter", "TEXT", 0, 0),
        ("task", "TEXT", 1, 0),
        ("error", "TEXT", 0, 0),
        ("fingerprint", "TEXT", 1, 0),
        ("tokens_per_s", "REAL", 0, 0),
        ("latency_p50_s", "REAL", 0, 0),
        ("latency_p95_s", "REAL", 0, 0),
        ("peak_gpu_memory_mib", "REAL", 0, 0),
        ("perf", "TEXT", 1, 0),
    ],
    "metrics": [
        ("run_id", "TEXT", 1, 1),
        ("unit_id", "TEXT", 1, 2),
        ("model", "TEXT", 1, 0),
        ("adapter", "TEXT", 0, 0),
        ("task", "TEXT", 1, 0),
        ("metric", "TEXT", 1, 3),
        ("value", "REAL", 0, 0),
        ("stderr", "REAL", 0, 0),
        ("n", "INTEGER", 0, 0),
        ("higher_is_better", "INTEGER", 0, 0),
        ("status", "TEXT", 0, 0),
        ("baseline", "REAL", 0, 0),
        ("delta", "REAL", 0, 0),
        ("ci_low", "REAL", 0, 0),
        ("ci_high", "REAL", 0, 0),
        ("p_value", "REAL", 0, 0),
        ("test", "TEXT", 0, 0),
        ("reasons", "TEXT", 1, 0),
    ],
    "perf_verdicts": [
        ("run_id", "TEXT", 1, 1),
        ("unit_id", "TEXT", 1, 2),
        ("measure", "TEXT", 1, 3),
        ("baseline", "REAL", 0, 0),
        ("current", "REAL", 0, 0),
        ("change_pct", "REAL", 0, 0),
        ("tolerance_pct", "REAL", 0, 0),
        ("status", "TEXT", 1, 0),
        ("reasons", "TEXT", 1, 0),
    ],
    "samples": [
        ("run_id", "TEXT", 1, 1),
        ("unit_id", "TEXT", 1, 2),
        ("metric", "TEXT", 1, 3),
        ("sample_id", "TEXT", 1, 4),
        ("value", "REAL", 1, 0),
    ],
}


def test_migrated_schema(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    HistoryIndex(path).close()

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [r[0] for r in db.execute("SELECT name FROM _migrations")] == ["m001_history"]
    for table, columns in TABLES.items():
        found = [(r[1], r[2], r[3], r[5]) for r in db.execute(f"PRAGMA table_info({table})")]
        assert found == columns, table
    indexes = {r[1] for r in db.execute("PRAGMA index_list(runs)")}
    assert "runs_spec_started" in indexes


def test_migrations_run_once(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    assert migrate(db, MIGRATIONS) == [name for name, _ in MIGRATIONS]
    assert migrate(db, MIGRATIONS) == []


def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    return path


def _future(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite"
    HistoryIndex(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO _migrations VALUES ('m099_from_the_future', 0)")
    db.commit()
    db.close()
    return path


def _foreign(tmp_path: Path) -> Path:
    path = tmp_path / "responses.sqlite"
    ResponseCache(path).close()
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_garbage, r"history index .*history.sqlite is damaged \(file is not a database\)"),
        (_future, r"written by a newer evalspec \(schema m099_from_the_future\); upgrade"),
        (_foreign, r"another kind of database \(tables: _migrations, completions\)"),
    ],
)
def test_a_database_it_cannot_trust_is_refused_and_left_as_it_was(
    tmp_path: Path, make: object, message: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    before = path.read_bytes()

    with pytest.raises(InfraError, match=message):
        HistoryIndex(path)

    assert path.read_bytes() == before


def test_a_reading_command_never_creates_an_index(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"no history index there yet"):
        HistoryIndex(tmp_path / "typo.sqlite", create=False)
    assert not (tmp_path / "typo.sqlite").exists()


def test_commands_on_a_damaged_index_exit_3_with_one_line(tmp_path: Path) -> None:
    path = _garbage(tmp_path)
    before = path.read_bytes()
    runner = CliRunner()

    shown = runner.invoke(cli, ["history", "smoke", "--history", str(path)])
    imported = runner.invoke(cli, ["history", "import", str(tmp_path), "--history", str(path)])
    exported = runner.invoke(cli, ["export", "--history", str(path), "--format", "csv"])

    for result in (shown, imported, exported):
        assert result.exit_code == 3, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: history index "), lines
        assert "is damaged" in lines[0] and "move it away" in lines[0]
    assert path.read_bytes() == before


def test_a_check_with_a_damaged_index_keeps_its_verdict_and_warns(tmp_path: Path) -> None:
    path = _future(tmp_path)
    before = path.read_bytes()
    spec = write_spec(tmp_path, name="damaged")

    outcome = run_check(
        spec,
        runs_dir=tmp_path / "runs",
        executor=LocalExecutor(FakeEngines().pool()),
        history=path,
    )

    assert outcome.exit_code == 0
    assert len(outcome.warnings) == 1
    assert "this check is not in the history index" in outcome.warnings[0]
    assert "newer evalspec" in outcome.warnings[0]
    assert path.read_bytes() == before
    assert (outcome.run_dir / "report.json").is_file()  # still kept for a later import
