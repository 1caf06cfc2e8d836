"""The response cache: engine completions keyed by (unit hash, sample id, sample index), in SQLite.

A unit's hash covers everything that can change its outputs (model, adapter,
engine and its arguments, prompt, generation settings, seed, dataset), so an
entry is valid for as long as it exists. Only what the engine produced is kept
(text, token counts, finish reason, latency), with the engine fingerprint and
the creation time; scores are not, cached outputs are re-scored on every run.

The database lives at $EVALSPEC_RESPONSE_CACHE, else ``cache_dir()/responses.sqlite``;
WAL mode, one transaction per unit, so a killed run keeps every finished unit.
The schema is built by forward-only named migrations recorded in ``_migrations``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalspec.engines import Completion
from evalspec.errors import InfraError
from evalspec.paths import cache_dir

RESPONSE_CACHE_ENV = "EVALSPEC_RESPONSE_CACHE"

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(func: Migration) -> Migration:
    """Register a migration; they run once each, in definition order, never edited afterwards."""
    MIGRATIONS.append((func.__name__, func))
    return func


@migration
def m001_responses(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE responses (
            unit_hash TEXT NOT NULL,
            sample_id TEXT NOT NULL,
            sample_index INTEGER NOT NULL,
            output TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            finish_reason TEXT,
            latency_s REAL,
            engine_fingerprint TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (unit_hash, sample_id, sample_index)
        )
        """
    )
    db.execute("CREATE INDEX responses_created_at ON responses (created_at)")


def default_cache_path() -> Path:
    """$EVALSPEC_RESPONSE_CACHE, else responses.sqlite in evalspec's cache directory."""
    override = os.environ.get(RESPONSE_CACHE_ENV)
    return Path(override) if override else cache_dir() / "responses.sqlite"


@dataclass(frozen=True)
class CachedResponse:
    completion: Completion
    engine_fingerprint: dict[str, Any]
    created_at: float  # unix seconds


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    entries: int
    units: int
    size_bytes: int  # the database and its WAL / shared-memory files
    oldest: float | None
    newest: float | None


SampleKey = tuple[str, int]  # (sample id, sample index)


class ResponseCache:
    """One open cache database. Use as a context manager or call close()."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            migrate(self._db)
        except (OSError, sqlite3.Error) as exc:
            raise InfraError(
                f"response cache {path} cannot be opened ({exc}); "
                f"set ${RESPONSE_CACHE_ENV} elsewhere or pass --no-cache"
            ) from exc

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def get_many(
        self, unit_hash: str, keys: Iterable[SampleKey]
    ) -> dict[SampleKey, CachedResponse]:
        """The cached responses among keys (missing keys are absent from the result)."""
        wanted = set(keys)
        rows = self._db.execute(
            "SELECT sample_id, sample_index, output, prompt_tokens, completion_tokens,"
            " finish_reason, latency_s, engine_fingerprint, created_at"
            " FROM responses WHERE unit_hash = ?",
            (unit_hash,),
        ).fetchall()
        found: dict[SampleKey, CachedResponse] = {}
        for sid, index, output, p_tok, c_tok, finish, latency, fingerprint, created in rows:
            if (sid, index) in wanted:
                completion = Completion(output, p_tok, c_tok, finish, latency)
                found[(sid, index)] = CachedResponse(completion, json.loads(fingerprint), created)
        return found

    def put_many(
        self,
        unit_hash: str,
        entries: Sequence[tuple[SampleKey, Completion]],
        engine_fingerprint: dict[str, Any],
    ) -> None:
        """Store one unit's new completions in one transaction (replacing equal keys)."""
        now = time.time()
        fingerprint = json.dumps(engine_fingerprint, sort_keys=True)
        rows = [
            (
                unit_hash,
                sid,
                index,
                c.text,
                c.prompt_tokens,
                c.completion_tokens,
                c.finish_reason,
                c.latency_s,
                fingerprint,
                now,
            )
            for (sid, index), c in entries
        ]
        with _transaction(self._db):
            self._db.executemany(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )

    def info(self) -> CacheInfo:
        entries, units, oldest, newest = self._db.execute(
            "SELECT count(*), count(DISTINCT unit_hash), min(created_at), max(created_at)"
            " FROM responses"
        ).fetchone()
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return CacheInfo(self.path, entries, units, size, oldest, newest)

    def prune(self, older_than_days: float | None) -> int:
        """Delete entries created more than older_than_days ago (None: all); the count deleted."""
        with _transaction(self._db):
            if older_than_days is None:
                deleted = self._db.execute("DELETE FROM responses").rowcount
            else:
                cutoff = time.time() - older_than_days * 86400
                deleted = self._db.execute(
                    "DELETE FROM responses WHERE created_at < ?", (cutoff,)
                ).rowcount
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("VACUUM")
        return int(deleted)


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations this database lacks, each in its own transaction; their names."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL)")
    applied = []
    for name, func in MIGRATIONS:
        with _transaction(db):  # checked inside: two processes may open a new cache at once
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                continue
            func(db)
            db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, time.time()))
        applied.append(name)
    return applied


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error (the connection runs in autocommit)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
