"""The response cache: one engine completion per request key, in SQLite.

A request key (`evalspec.runner.requests`) is a digest of everything one engine
request depends on: the model and engine identity (model digest and revision,
adapter digest, engine, its version and output-changing arguments), the rendered
prompt or chat so far, the generation settings, the per-request seed and the
sample index. It does not depend on which other samples a unit holds, so adding
samples, changing ``--limit`` or the sample mode, sharding across workers and
re-ordering tasks reuse every output already generated. Only what the engine
produced is kept (text, token counts, finish reason, latency), with the engine
fingerprint and the creation time; scores are not: cached outputs are re-scored.

The database lives at $EVALSPEC_RESPONSE_CACHE, else ``cache_dir()/responses.sqlite``;
WAL mode, one transaction per chunk of completed requests, so a killed run loses at
most the chunk in flight. The schema is built by forward-only named migrations
recorded in ``_migrations``; ``m002_request_keys`` drops the entries of the first
scheme (keyed by unit hash and sample id, which cannot be mapped to requests): an
old cache is clearly invalidated, never misread.

A damaged database, a schema from a newer evalspec or a row of the wrong types is
never a traceback and never a wrong output: opening fails with one message naming
the file and ``evalspec cache prune --all`` (which then rebuilds it), and a row
that does not hold a valid completion counts as a miss.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalspec.engines import Completion
from evalspec.errors import InfraError
from evalspec.files import cache_dir
from evalspec.migrations import Migration, db_path, has_table, transaction, unknown_migrations
from evalspec.migrations import migrate as sqlite_migrate

RESPONSE_CACHE_ENV = "EVALSPEC_RESPONSE_CACHE"
REBUILD_HINT = "run `evalspec cache prune --all` to rebuild it, or pass --no-cache"
_QUERY_CHUNK = 500  # keys per SELECT (SQLite's default variable limit is far above)

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


@migration
def m002_request_keys(db: sqlite3.Connection) -> None:
    """Key entries by request instead of (unit hash, sample id, index); old entries go."""
    db.execute("DROP TABLE responses")
    db.execute(
        """
        CREATE TABLE completions (
            request_key TEXT PRIMARY KEY,
            output TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            finish_reason TEXT,
            latency_s REAL,
            engine_fingerprint TEXT NOT NULL,
            created_at REAL NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX completions_created_at ON completions (created_at)")


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
    size_bytes: int  # the database and its WAL / shared-memory files
    oldest: float | None
    newest: float | None


class ResponseCache:
    """One open cache database. Use as a context manager or call close().

    `upgraded` names the migrations this open applied to an existing database (an
    old cache whose entries were dropped says so once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.invalid_rows = 0  # rows read that did not hold a valid completion (misses)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # the driver's group threads share this connection, one at a time (under a lock)
            self._db = sqlite3.connect(
                path, timeout=30, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise InfraError(
                f"response cache {path} cannot be opened ({exc}); "
                f"set ${RESPONSE_CACHE_ENV} elsewhere or pass --no-cache"
            ) from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            fresh = not has_table(self._db, "_migrations")
            applied = migrate(self._db)
            self.upgraded = [] if fresh else applied
        except sqlite3.Error as exc:
            self._db.close()
            raise InfraError(f"response cache {path} is damaged ({exc}); {REBUILD_HINT}") from exc
        except InfraError:
            self._db.close()
            raise

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedResponse]:
        """The cached responses among `keys` (missing or invalid entries are absent)."""
        found: dict[str, CachedResponse] = {}
        for chunk in _chunks(list(dict.fromkeys(keys)), _QUERY_CHUNK):
            marks = ",".join("?" * len(chunk))
            try:
                rows = self._db.execute(
                    "SELECT request_key, output, prompt_tokens, completion_tokens,"
                    " finish_reason, latency_s, engine_fingerprint, created_at"
                    f" FROM completions WHERE request_key IN ({marks})",
                    chunk,
                ).fetchall()
            except sqlite3.Error as exc:
                raise InfraError(
                    f"response cache {self.path} cannot be read ({exc}); {REBUILD_HINT}"
                ) from exc
            for row in rows:
                entry = _entry(row)
                if entry is None:
                    self.invalid_rows += 1
                else:
                    found[row[0]] = entry
        return found

    def put_many(
        self, entries: Sequence[tuple[str, Completion]], engine_fingerprint: dict[str, Any]
    ) -> None:
        """Store completions in one transaction (replacing equal keys); InfraError when the
        database cannot be written (full disk, read-only file)."""
        now = time.time()
        fingerprint = json.dumps(engine_fingerprint, sort_keys=True)
        rows = [
            (
                key,
                c.text,
                c.prompt_tokens,
                c.completion_tokens,
                c.finish_reason,
                c.latency_s,
                fingerprint,
                now,
            )
            for key, c in entries
        ]
        if not rows:
            return
        try:
            with transaction(self._db):
                self._db.executemany(
                    "INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
                )
        except sqlite3.Error as exc:
            raise InfraError(f"response cache {self.path} cannot be written ({exc})") from exc

    def info(self) -> CacheInfo:
        entries, oldest, newest = self._db.execute(
            "SELECT count(*), min(created_at), max(created_at) FROM completions"
        ).fetchone()
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return CacheInfo(self.path, entries, size, oldest, newest)

    def prune(self, older_than_days: float | None) -> int:
        """Delete entries created more than older_than_days ago (None: all); the count deleted."""
        with transaction(self._db):
            if older_than_days is None:
                deleted = self._db.execute("DELETE FROM completions").rowcount
            else:
                cutoff = time.time() - older_than_days * 86400
                deleted = self._db.execute(
                    "DELETE FROM completions WHERE created_at < ?", (cutoff,)
                ).rowcount
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("VACUUM")
        return int(deleted)


def remove_cache_files(path: Path) -> None:
    """Delete a cache database and its WAL / shared-memory files (`cache prune --all` on a
    database too damaged to open)."""
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        file.unlink(missing_ok=True)


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations this database lacks, each in its own transaction; their names.

    A database that records a migration this evalspec does not know was written by a
    newer one: InfraError, nothing changed."""
    unknown = unknown_migrations(db, MIGRATIONS)
    if unknown:
        raise InfraError(
            f"response cache {db_path(db)} was written by a newer evalspec (schema "
            f"{', '.join(unknown)}); upgrade evalspec, or set ${RESPONSE_CACHE_ENV} to "
            "another file"
        )
    return sqlite_migrate(db, MIGRATIONS)


def _entry(row: tuple[Any, ...]) -> CachedResponse | None:
    """A row as a completion, or None when its columns do not hold one (a damaged entry is a
    miss: regenerated and replaced, never returned)."""
    _, output, p_tok, c_tok, finish, latency, fingerprint, created = row
    if not (
        isinstance(output, str)
        and _is_count(p_tok)
        and _is_count(c_tok)
        and (finish is None or isinstance(finish, str))
        and (latency is None or isinstance(latency, int | float))
        and isinstance(created, int | float)
        and isinstance(fingerprint, str)
    ):
        return None
    try:
        parsed = json.loads(fingerprint)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    latency_s = float(latency) if latency is not None else None
    return CachedResponse(Completion(output, p_tok, c_tok, finish, latency_s), parsed, created)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
