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
        cache.put_many("old", [(("a", 0), done), (("b", 0), done)], {"engine": "vllm"})
        cache.put_many("new", [(("a", 0), done)], {"engine": "vllm"})
    db = sqlite3.connect(path)
    db.execute("UPDATE responses SET created_at = created_at - 30 * 86400 WHERE unit_hash='old'")
    db.commit()
    db.close()
    return path


def test_info_shows_path_entries_and_size(cache_path: Path) -> None:
    result = CliRunner().invoke(cli, ["cache", "info"])
    assert result.exit_code == 0, result.output
    assert f"path: {cache_path}" in result.output
    assert "entries: 3 (2 units)" in result.output
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
