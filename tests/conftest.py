"""Shared fixtures: repo paths, an isolated cache/runs dir, copies of the example specs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# never reach the Hub from tests; keep vLLM quiet and on a small KV cache
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")


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
