"""The response cache: migrated schema, round trips, misses, durability, info and prune."""

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
    columns = [(r[1], r[2], r[3], r[5]) for r in db.execute("PRAGMA table_info(responses)")]
    assert columns == [
        ("unit_hash", "TEXT", 1, 1),
        ("sample_id", "TEXT", 1, 2),
        ("sample_index", "INTEGER", 1, 3),
        ("output", "TEXT", 1, 0),
        ("prompt_tokens", "INTEGER", 1, 0),
        ("completion_tokens", "INTEGER", 1, 0),
        ("finish_reason", "TEXT", 0, 0),
        ("latency_s", "REAL", 0, 0),
        ("engine_fingerprint", "TEXT", 1, 0),
        ("created_at", "REAL", 1, 0),
    ]
    indexes = {r[1] for r in db.execute("PRAGMA index_list(responses)")}
    assert "responses_created_at" in indexes


def test_migrations_run_once(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    assert migrate(db) == [n for n, _ in MIGRATIONS]
    assert migrate(db) == []


def test_round_trip_and_misses(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "r.sqlite") as cache:
        cache.put_many(
            "u1",
            [
                (("s1", 0), _completion("four")),
                (("s2", 0), _completion("")),
            ],
            FINGERPRINT,
        )
        hits = cache.get_many("u1", [("s1", 0), ("s2", 0), ("s3", 0), ("s1", 1)])
        assert set(hits) == {("s1", 0), ("s2", 0)}
        assert hits[("s1", 0)].completion == _completion("four")
        assert hits[("s2", 0)].completion.text == ""
        assert hits[("s1", 0)].engine_fingerprint == FINGERPRINT
        assert hits[("s1", 0)].created_at <= time.time()
        assert cache.get_many("u2", [("s1", 0)]) == {}  # another unit hash misses


def test_none_fields_and_replacement(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "r.sqlite") as cache:
        bare = Completion("x", 1, 1, None, None)
        cache.put_many("u", [(("s", 0), bare)], {})
        cache.put_many("u", [(("s", 0), _completion("y"))], FINGERPRINT)
        assert cache.get_many("u", [("s", 0)])[("s", 0)].completion == _completion("y")
        cache.put_many("u", [(("s", 0), bare)], {})
        assert cache.get_many("u", [("s", 0)])[("s", 0)].completion == bare
        assert cache.info().entries == 1


def test_entries_survive_reopening_and_are_shared_between_connections(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    first, second = ResponseCache(path), ResponseCache(path)
    first.put_many("u", [(("s", 0), _completion("a"))], FINGERPRINT)
    assert ("s", 0) in second.get_many("u", [("s", 0)])
    first.close()
    second.close()
    with ResponseCache(path) as again:
        assert again.info().entries == 1


def test_info_and_prune(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with ResponseCache(path) as cache:
        assert cache.info().entries == 0 and cache.info().oldest is None
        cache.put_many("old", [(("s1", 0), _completion("a")), (("s2", 0), _completion("b"))], {})
        cache.put_many("new", [(("s1", 0), _completion("c"))], {})
        # age the first unit by ten days, as if written then
        db = sqlite3.connect(path)
        db.execute(
            "UPDATE responses SET created_at = created_at - 10 * 86400 WHERE unit_hash='old'"
        )
        db.commit()
        db.close()
        info = cache.info()
        assert (info.entries, info.units) == (3, 2)
        assert info.size_bytes > 0 and info.path == path
        assert info.oldest is not None and info.newest is not None and info.oldest < info.newest
        assert cache.prune(older_than_days=5) == 2
        assert set(cache.get_many("new", [("s1", 0)])) == {("s1", 0)}
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
