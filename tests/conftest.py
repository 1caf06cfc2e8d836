"""Shared fixtures: repo paths, an isolated response cache and history index, copies of the
example specs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalspec.history.index import HISTORY_ENV
from evalspec.store.cache import RESPONSE_CACHE_ENV

REPO = Path(__file__).resolve().parents[1]

# never reach the Hub from tests; keep vLLM quiet and on a small KV cache
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")


@pytest.fixture(scope="session", autouse=True)
def _session_response_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Responses cached by tests stay in the session (the converted built-in model under
    cache_dir()/models stays where it is, so it converts once per machine, not per session)."""
    path = tmp_path_factory.mktemp("response-cache") / "responses.sqlite"
    before = os.environ.get(RESPONSE_CACHE_ENV)
    os.environ[RESPONSE_CACHE_ENV] = str(path)
    yield path
    if before is None:
        os.environ.pop(RESPONSE_CACHE_ENV, None)
    else:
        os.environ[RESPONSE_CACHE_ENV] = before


@pytest.fixture(scope="session", autouse=True)
def _session_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Checks run by tests are recorded in a history index of the session, never the user's."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite"
    before = os.environ.get(HISTORY_ENV)
    os.environ[HISTORY_ENV] = str(path)
    yield path
    if before is None:
        os.environ.pop(HISTORY_ENV, None)
    else:
        os.environ[HISTORY_ENV] = before


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of specs/, thresholds/ and baselines/ that a test may change freely."""
    for name in ("specs", "thresholds", "baselines"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, tmp_path / name)
    return tmp_path
