"""`evalspec cache info` and `evalspec cache prune` on a real cache database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalspec.cli import cli
from evalspec.engines import Completion
from evalspec.store import ResponseCache
from evalspec.store.cache import RESPONSE_CACHE_ENV


@pytest.fixture
def cache_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "responses.sqlite"
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(path))
    with ResponseCache(path) as cache:
        done = Completion("4", 5, 1, "stop", 0.1)
        cache.put_many([("old-a", done), ("old-b", done)], {"engine": "vllm"})
        cache.put_many([("new-a", done)], {"engine": "vllm"})
    db = sqlite3.connect(path)
    db.execute(
        "UPDATE completions SET created_at = created_at - 30 * 86400 WHERE request_key LIKE 'old-%'"
    )
    db.commit()
    db.close()
    return path


def test_info_shows_path_entries_and_size(cache_path: Path) -> None:
    result = CliRunner().invoke(cli, ["cache", "info"])
    assert result.exit_code == 0, result.output
    assert f"path: {cache_path}" in result.output
    assert "entries: 3" in result.output
    assert "size: " in result.output and "oldest: " in result.output


def test_prune_older_than_then_all(cache_path: Path) -> None:
    result = CliRunner().invoke(cli, ["cache", "prune", "--older-than", "7"])
    assert result.exit_code == 0, result.output
    assert "deleted 2 entries, 1 left" in result.output
    result = CliRunner().invoke(cli, ["cache", "prune", "--all"])
    assert "deleted 1 entries, 0 left" in result.output


@pytest.mark.parametrize("args", [[], ["--all", "--older-than", "1"]])
def test_prune_needs_exactly_one_choice(cache_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["cache", "prune", *args])
    assert result.exit_code == 2
    assert "exactly one of --older-than DAYS and --all" in result.output
    with ResponseCache(cache_path) as cache:
        assert cache.info().entries == 3


def test_prune_all_rebuilds_a_cache_too_damaged_to_open(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "responses.sqlite"
    path.write_bytes(b"garbage, not a database" * 100)
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(path))

    info = CliRunner().invoke(cli, ["cache", "info"])
    assert info.exit_code == 3 and "cache prune --all" in info.output
    assert "Traceback" not in info.output
    pruned = CliRunner().invoke(cli, ["cache", "prune", "--all"])
    assert pruned.exit_code == 0, pruned.output
    assert "removed the unreadable cache" in pruned.output
    assert CliRunner().invoke(cli, ["cache", "info"]).exit_code == 0
