"""The history index: one SQLite database of every check, opened safely, one run per transaction.

Where: ``--history FILE``, else $EVALSPEC_HISTORY, else ``history.sqlite`` in evalspec's
cache directory. WAL mode; the schema is built by the named migrations of
`evalspec.history.schema`. A file that is not a database, a database of another kind or
one whose schema a newer evalspec wrote is refused with one message naming the file,
before anything is written to it: the index is never overwritten or "repaired".
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalspec.errors import InfraError, SpecError
from evalspec.files import cache_dir
from evalspec.history.entries import PERF_COLUMNS, RunEntry, fingerprint_text
from evalspec.history.schema import MIGRATIONS
from evalspec.migrations import migrate, transaction, unknown_migrations

HISTORY_ENV = "EVALSPEC_HISTORY"
FILE_NAME = "history.sqlite"
MOVE_HINT = f"move it away, or pass --history / set ${HISTORY_ENV} to another file"


def default_history_path() -> Path:
    """$EVALSPEC_HISTORY, else history.sqlite in evalspec's cache directory."""
    override = os.environ.get(HISTORY_ENV)
    return Path(override) if override else cache_dir() / FILE_NAME


class HistoryIndex:
    """One open history database; a context manager.

    create=False refuses a path with no database yet (a reading command names the
    file instead of creating an empty one)."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not create and not path.is_file():
            raise SpecError(
                f"{path}: no history index there yet; `evalspec check` records every check "
                "in it, `evalspec history import RUNS_DIR` indexes existing run directories "
                f"(or pass --history / set ${HISTORY_ENV} to the file you meant)"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise InfraError(
                f"history index {path} cannot be opened ({exc}); pass --history or set "
                f"${HISTORY_ENV} to a writable file"
            ) from exc
        try:
            self._refuse_foreign()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            migrate(self._db, MIGRATIONS)
        except sqlite3.Error as exc:
            self._db.close()
            raise InfraError(f"history index {path} is damaged ({exc}); {MOVE_HINT}") from exc
        except InfraError:
            self._db.close()
            raise

    def _refuse_foreign(self) -> None:
        """Read-only checks before the first write: another kind of database, or a newer schema."""
        tables = [
            name
            for (name,) in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        applied = (
            {name for (name,) in self._db.execute("SELECT name FROM _migrations")}
            if "_migrations" in tables
            else set()
        )
        if tables and MIGRATIONS[0][0] not in applied:
            raise InfraError(
                f"history index {self.path} is another kind of database (tables: "
                f"{', '.join(sorted(tables)[:5])}); {MOVE_HINT}"
            )
        unknown = unknown_migrations(self._db, MIGRATIONS)
        if unknown:
            raise InfraError(
                f"history index {self.path} was written by a newer evalspec (schema "
                f"{', '.join(unknown)}); upgrade evalspec, or pass --history / set "
                f"${HISTORY_ENV} to another file"
            )

    def __enter__(self) -> HistoryIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def select(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query; a damaged database is an InfraError naming the file."""
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise InfraError(
                f"history index {self.path} cannot be read ({exc}); {MOVE_HINT}"
            ) from exc

    def has(self, run_id: str) -> bool:
        return bool(self.select("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)))

    def add(self, entry: RunEntry) -> bool:
        """Index a run; False (nothing written) when its id is indexed already."""
        return bool(self.add_many([entry]))

    def add_many(self, entries: Sequence[RunEntry]) -> list[str]:
        """Index runs in one transaction (all or none); the ids of those not indexed before."""
        added: list[str] = []
        try:
            with transaction(self._db):
                for entry in entries:
                    if (
                        entry.run_id in added
                        or self._db.execute(
                            "SELECT 1 FROM runs WHERE run_id = ?", (entry.run_id,)
                        ).fetchone()
                    ):
                        continue
                    self._insert(entry)
                    added.append(entry.run_id)
        except sqlite3.Error as exc:
            raise InfraError(
                f"history index {self.path} cannot be written ({exc}); {MOVE_HINT}"
            ) from exc
        return added

    def _insert(self, e: RunEntry) -> None:
        db, run = self._db, e.run_id
        db.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run,
                e.spec,
                e.spec_digest,
                e.spec_path,
                e.started_at,
                e.started.timestamp(),
                e.finished_at,
                e.status,
                e.git_sha,
                e.git_branch,
                e.git_dirty,
                e.evalspec_version,
                e.executor,
                e.gate_status,
                e.exit_code,
                e.baseline_run,
                e.source,
                e.run_dir,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )
        db.executemany(
            "INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run,
                    u.unit_id,
                    u.unit_hash,
                    u.model,
                    u.adapter,
                    u.task,
                    u.error,
                    fingerprint_text(u.fingerprint),
                    *(u.measure(name) for name in PERF_COLUMNS),
                    json.dumps(u.perf, sort_keys=True),
                )
                for u in e.units
            ],
        )
        db.executemany(
            "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run,
                    m.unit_id,
                    m.model,
                    m.adapter,
                    m.task,
                    m.metric,
                    m.value,
                    m.stderr,
                    m.n,
                    m.higher_is_better,
                    m.status,
                    m.baseline,
                    m.delta,
                    m.ci_low,
                    m.ci_high,
                    m.p_value,
                    m.test,
                    json.dumps(list(m.reasons)),
                )
                for m in e.metrics
            ],
        )
        db.executemany(
            "INSERT INTO perf_verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run,
                    p.unit_id,
                    p.measure,
                    p.baseline,
                    p.current,
                    p.change_pct,
                    p.tolerance_pct,
                    p.status,
                    json.dumps(list(p.reasons)),
                )
                for p in e.perf_verdicts
            ],
        )
        db.executemany(
            "INSERT INTO samples VALUES (?, ?, ?, ?, ?)",
            [(run, s.unit_id, s.metric, s.sample_id, s.value) for s in e.samples],
        )
