"""The history index's schema: forward-only named migrations (never edited once released).

Tables: ``runs`` (one row per indexed check: spec, git, times, the check's verdict,
where it came from), ``units`` (unit hash, engine fingerprint, perf), ``metrics`` (value,
standard error, n and the gate's verdict per unit and metric), ``perf_verdicts`` (the
gate's perf rows) and ``samples`` (the per-sample values each metric was computed from).
Times are ISO 8601 UTC text plus ``started_ts`` (unix seconds) for ordering and ranges.
"""

from __future__ import annotations

import sqlite3

from evalspec.migrations import Migration

MIGRATIONS: list[tuple[str, Migration]] = []


def migration(func: Migration) -> Migration:
    """Register a migration; they run once each, in definition order."""
    MIGRATIONS.append((func.__name__, func))
    return func


@migration
def m001_history(db: sqlite3.Connection) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            spec TEXT NOT NULL,
            spec_digest TEXT,
            spec_path TEXT,
            started_at TEXT NOT NULL,
            started_ts REAL NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            git_sha TEXT,
            git_branch TEXT,
            git_dirty INTEGER,
            evalspec_version TEXT,
            executor TEXT,
            gate_status TEXT,
            exit_code INTEGER,
            baseline_run TEXT,
            source TEXT NOT NULL,
            run_dir TEXT,
            indexed_at TEXT NOT NULL
        );
        CREATE INDEX runs_spec_started ON runs (spec, started_ts);
        CREATE TABLE units (
            run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            unit_id TEXT NOT NULL,
            unit_hash TEXT NOT NULL,
            model TEXT NOT NULL,
            adapter TEXT,
            task TEXT NOT NULL,
            error TEXT,
            fingerprint TEXT NOT NULL,
            tokens_per_s REAL,
            latency_p50_s REAL,
            latency_p95_s REAL,
            peak_gpu_memory_mib REAL,
            perf TEXT NOT NULL,
            PRIMARY KEY (run_id, unit_id)
        ) WITHOUT ROWID;
        CREATE TABLE metrics (
            run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            unit_id TEXT NOT NULL,
            model TEXT NOT NULL,
            adapter TEXT,
            task TEXT NOT NULL,
            metric TEXT NOT NULL,
            value REAL,
            stderr REAL,
            n INTEGER,
            higher_is_better INTEGER,
            status TEXT,
            baseline REAL,
            delta REAL,
            ci_low REAL,
            ci_high REAL,
            p_value REAL,
            test TEXT,
            reasons TEXT NOT NULL,
            PRIMARY KEY (run_id, unit_id, metric)
        ) WITHOUT ROWID;
        CREATE TABLE perf_verdicts (
            run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            unit_id TEXT NOT NULL,
            measure TEXT NOT NULL,
            baseline REAL,
            current REAL,
            change_pct REAL,
            tolerance_pct REAL,
            status TEXT NOT NULL,
            reasons TEXT NOT NULL,
            PRIMARY KEY (run_id, unit_id, measure)
        ) WITHOUT ROWID;
        CREATE TABLE samples (
            run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            unit_id TEXT NOT NULL,
            metric TEXT NOT NULL,
            sample_id TEXT NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (run_id, unit_id, metric, sample_id)
        ) WITHOUT ROWID;
        """,
    )


def _execute_all(db: sqlite3.Connection, script: str) -> None:
    """Each statement in the migration's transaction (executescript would commit it first)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)
