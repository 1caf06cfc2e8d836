"""Choosing the isolation: auto falls back, an explicit bwrap that cannot work is exit 3."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_cases import BWRAP_PROBLEM

from evalspec.errors import EXIT_INFRA, InfraError
from evalspec.scoring.sandbox import probe_bwrap, resolve
from evalspec.spec.models import CodeExecScorer


@pytest.fixture
def no_bwrap_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PATH", str(tmp_path))
    probe_bwrap.cache_clear()
    yield
    probe_bwrap.cache_clear()


@pytest.mark.usefixtures("no_bwrap_on_path")
def test_asking_for_bwrap_without_it_is_an_infrastructure_error() -> None:
    with pytest.raises(InfraError, match="isolation 'bwrap' but bwrap is not installed") as err:
        resolve("bwrap")
    assert err.value.exit_code == EXIT_INFRA


@pytest.mark.usefixtures("no_bwrap_on_path")
def test_auto_falls_back_to_rlimits_without_bwrap() -> None:
    assert resolve("auto") == "rlimits"


@pytest.mark.skipif(BWRAP_PROBLEM is not None, reason=f"bubblewrap unusable: {BWRAP_PROBLEM}")
def test_auto_uses_bwrap_where_it_runs() -> None:
    assert resolve("auto") == "bwrap"


def test_rlimits_is_used_when_asked_even_with_bwrap_present() -> None:
    assert resolve("rlimits") == "rlimits"


def test_spec_limits_have_defaults_and_reject_nonsense() -> None:
    scorer = CodeExecScorer(type="code_exec")
    assert (scorer.isolation, scorer.memory_mib, scorer.max_procs, scorer.workers) == (
        "auto",
        2048,
        16,
        None,
    )
    with pytest.raises(ValueError, match="isolation"):
        CodeExecScorer.model_validate({"type": "code_exec", "isolation": "docker"})
    with pytest.raises(ValueError, match="max_procs"):
        CodeExecScorer.model_validate({"type": "code_exec", "max_procs": 0})
