"""What evalspec's SQLite databases share: forward-only named migrations and transactions.

Each database keeps an ordered list of named migration functions; `migrate` applies the
ones a database lacks, each in its own transaction, and records them in ``_migrations``.
A migration is never edited once released: a schema change is a new migration. A
database that records a migration this evalspec does not know was written by a newer
evalspec; `unknown_migrations` finds them before anything is written.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def unknown_migrations(
    db: sqlite3.Connection, migrations: list[tuple[str, Migration]]
) -> list[str]:
    """Migrations recorded in the database that are not in `migrations` (read only)."""
    if not has_table(db, "_migrations"):
        return []
    known = {name for name, _ in migrations}
    return sorted(
        name for (name,) in db.execute("SELECT name FROM _migrations") if name not in known
    )


def migrate(db: sqlite3.Connection, migrations: list[tuple[str, Migration]]) -> list[str]:
    """Apply the migrations the database lacks, in order, each in its own transaction;
    the names applied. Check `unknown_migrations` first."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL)")
    applied = []
    for name, func in migrations:
        with transaction(db):  # checked inside: two processes may open a new database at once
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                continue
            func(db)
            db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, time.time()))
        applied.append(name)
    return applied


def has_table(db: sqlite3.Connection, name: str) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,))
    return row.fetchone() is not None


def db_path(db: sqlite3.Connection) -> str:
    row = db.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row else "(memory)"


class transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error (the connection runs in autocommit)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                return  # the error that got us here is the one to report
