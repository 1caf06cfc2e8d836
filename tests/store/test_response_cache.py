"""The response cache: migrated schema, round trips, misses, durability, info, prune, damage."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from evalspec.engines import Completion
from evalspec.errors import InfraError
from evalspec.store import ResponseCache, default_cache_path
from evalspec.store.cache import MIGRATIONS, RESPONSE_CACHE_ENV, migrate

FINGERPRINT = {"engine": "vllm", "version": "0.11.0", "dtype": "float32"}


def _completion(text: str) -> Completion:
    return Completion(
        text, prompt_tokens=7, completion_tokens=3, finish_reason="stop", latency_s=0.25
    )


def test_migrated_schema(tmp_path: Path) -> None:
    path = tmp_path / "responses.sqlite"
    ResponseCache(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [r[0] for r in db.execute("SELECT name FROM _migrations")] == [n for n, _ in MIGRATIONS]
    columns = [(r[1], r[2], r[3], r[5]) for r in db.execute("PRAGMA table_info(completions)")]
    assert columns == [
        ("request_key", "TEXT", 0, 1),
        ("output", "TEXT", 1, 0),
        ("prompt_tokens", "INTEGER", 1, 0),
        ("completion_tokens", "INTEGER", 1, 0),
        ("finish_reason", "TEXT", 0, 0),
        ("latency_s", "REAL", 0, 0),
        ("engine_fingerprint", "TEXT", 1, 0),
        ("created_at", "REAL", 1, 0),
    ]
    indexes = {r[1] for r in db.execute("PRAGMA index_list(completions)")}
    assert "completions_created_at" in indexes
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "responses" not in tables  # the first scheme's table is gone


def test_migrations_run_once(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    assert migrate(db) == [n for n, _ in MIGRATIONS]
    assert migrate(db) == []


def test_a_cache_of_the_first_scheme_is_upgraded_and_its_entries_dropped(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at REAL)")
    MIGRATIONS[0][1](db)
    db.execute("INSERT INTO _migrations VALUES ('m001_responses', 0)")
    db.execute("INSERT INTO responses VALUES ('u', 's', 0, 'old', 1, 1, 'stop', 0.1, '{}', 0)")
    db.close()

    with ResponseCache(path) as cache:
        assert cache.upgraded == ["m002_request_keys"]
        assert cache.info().entries == 0
    with ResponseCache(path) as again:
        assert again.upgraded == []


def test_round_trip_and_misses(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "r.sqlite") as cache:
        cache.put_many([("k1", _completion("four")), ("k2", _completion(""))], FINGERPRINT)
        hits = cache.get_many(["k1", "k2", "k3", "k1"])
        assert set(hits) == {"k1", "k2"}
        assert hits["k1"].completion == _completion("four")
        assert hits["k2"].completion.text == ""
        assert hits["k1"].engine_fingerprint == FINGERPRINT
        assert hits["k1"].created_at <= time.time()
        assert cache.get_many(["other"]) == {}


def test_lookups_of_many_keys_are_chunked(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "r.sqlite") as cache:
        keys = [f"k{i}" for i in range(1234)]
        cache.put_many([(k, _completion(k)) for k in keys], {})
        hits = cache.get_many(keys)
        assert len(hits) == 1234 and hits["k1233"].completion.text == "k1233"


def test_none_fields_and_replacement(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "r.sqlite") as cache:
        bare = Completion("x", 1, 1, None, None)
        cache.put_many([("k", bare)], {})
        cache.put_many([("k", _completion("y"))], FINGERPRINT)
        assert cache.get_many(["k"])["k"].completion == _completion("y")
        cache.put_many([("k", bare)], {})
        assert cache.get_many(["k"])["k"].completion == bare
        assert cache.info().entries == 1


def test_entries_survive_reopening_and_are_shared_between_connections(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    first, second = ResponseCache(path), ResponseCache(path)
    first.put_many([("k", _completion("a"))], FINGERPRINT)
    assert "k" in second.get_many(["k"])
    first.close()
    second.close()
    with ResponseCache(path) as again:
        assert again.info().entries == 1


def test_info_and_prune(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with ResponseCache(path) as cache:
        assert cache.info().entries == 0 and cache.info().oldest is None
        cache.put_many([("old1", _completion("a")), ("old2", _completion("b"))], {})
        cache.put_many([("new", _completion("c"))], {})
        # age the first two by ten days, as if written then
        db = sqlite3.connect(path)
        db.execute(
            "UPDATE completions SET created_at = created_at - 10 * 86400"
            " WHERE request_key LIKE 'old%'"
        )
        db.commit()
        db.close()
        info = cache.info()
        assert info.entries == 3
        assert info.size_bytes > 0 and info.path == path
        assert info.oldest is not None and info.newest is not None and info.oldest < info.newest
        assert cache.prune(older_than_days=5) == 2
        assert set(cache.get_many(["new"])) == {"new"}
        assert cache.prune(older_than_days=5) == 0
        assert cache.prune(None) == 1
        assert cache.info().entries == 0


def test_location_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(tmp_path / "elsewhere.sqlite"))
    assert default_cache_path() == tmp_path / "elsewhere.sqlite"
    monkeypatch.delenv(RESPONSE_CACHE_ENV)
    monkeypatch.setenv("EVALSPEC_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_path() == tmp_path / "c" / "responses.sqlite"


def test_an_unusable_location_is_an_infrastructure_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(InfraError, match="--no-cache"):
        ResponseCache(blocker / "responses.sqlite")


def test_a_file_that_is_not_a_database_names_itself_and_the_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    path.write_bytes(b"this is not sqlite" * 400)
    with pytest.raises(InfraError, match=r"r\.sqlite is damaged.*cache prune --all"):
        ResponseCache(path)


def test_a_damaged_page_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with ResponseCache(path) as cache:
        cache.put_many([(f"k{i}", _completion("x" * 500)) for i in range(200)], {})
        cache.prune(older_than_days=1e9)  # checkpoints the WAL into the main file
    data = bytearray(path.read_bytes())
    for offset in range(4096 * 3, len(data), 4096):  # scribble over every page past the first few
        data[offset : offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    with (
        pytest.raises(InfraError, match=r"r\.sqlite.*cache prune --all"),
        ResponseCache(path) as cache,
    ):
        cache.get_many([f"k{i}" for i in range(200)])


def test_a_schema_from_a_newer_evalspec_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    ResponseCache(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO _migrations VALUES ('m099_from_the_future', 0)")
    db.commit()
    db.close()
    with pytest.raises(InfraError, match=r"written by a newer evalspec.*m099"):
        ResponseCache(path)
    names = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM _migrations")]
    assert "m099_from_the_future" in names


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("output", b"\x00blob"),
        ("engine_fingerprint", "not json"),
        ("engine_fingerprint", "[1, 2]"),
        ("prompt_tokens", "seven"),
        ("completion_tokens", -1),
        ("latency_s", "fast"),
    ],
)
def test_a_row_of_the_wrong_types_is_a_miss_never_a_wrong_output(
    tmp_path: Path, column: str, value: object
) -> None:
    path = tmp_path / "r.sqlite"
    with ResponseCache(path) as cache:
        cache.put_many([("k", _completion("right"))], {})
        db = sqlite3.connect(path)
        db.execute(f"UPDATE completions SET {column} = ?", (value,))
        db.commit()
        db.close()
        assert cache.get_many(["k"]) == {}
        assert cache.invalid_rows == 1
        cache.put_many([("k", _completion("again"))], {})  # regenerated output replaces it
        assert cache.get_many(["k"])["k"].completion.text == "again"


def test_a_write_that_fails_is_an_infrastructure_error_and_leaves_no_transaction_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.sqlite"
    with ResponseCache(path) as cache:
        db = sqlite3.connect(path)
        db.execute(
            "CREATE TRIGGER full BEFORE INSERT ON completions"
            " BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"
        )
        db.commit()
        db.close()
        with pytest.raises(InfraError, match=r"cannot be written.*disk is full"):
            cache.put_many([("k", _completion("x"))], {})
        assert cache.get_many(["k"]) == {}  # the connection is still usable
