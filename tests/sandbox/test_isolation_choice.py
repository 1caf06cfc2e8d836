"""Choosing the isolation: auto falls back, an explicit bwrap that cannot work is exit 3,
and every score records the level and the limits that held."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_cases import ADD_TEST, BWRAP_PROBLEM, MODES, ROOT, level

from evalspec.data import Sample
from evalspec.errors import EXIT_INFRA, InfraError
from evalspec.scoring.code_exec import score_code
from evalspec.scoring.sandbox import cgroups, isolation, probe_bwrap, probe_jail, resolve, setup
from evalspec.scoring.sandbox.isolation import probe_uid_drop
from evalspec.spec.scorers import CodeExecScorer

ADD = Sample(
    "toy/add", "def add(a: int, b: int) -> int:\n", meta={"test": ADD_TEST, "entry_point": "add"}
)


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


@pytest.mark.skipif(not ROOT, reason="the jail is built by root")
def test_as_root_the_jail_is_built_where_the_kernel_allows_it() -> None:
    assert probe_jail() is None  # this machine allows it: the jail's own probe ran
    assert setup("rlimits").label.startswith("rlimits+jail")


@pytest.mark.usefixtures("no_leftovers")
@pytest.mark.parametrize("mode", MODES)
def test_every_score_records_the_level_and_the_limits_that_held(mode: str) -> None:
    with level(mode) as isolation:
        scores = score_code(
            [ADD, ADD], ["    return a + b\n", "    return a - b\n"], 5.0, isolation=isolation
        )
    assert [s.value for s in scores] == [1.0, 0.0]
    expected = {
        "bwrap": "bwrap",
        "rlimits": "rlimits+jail" if ROOT else "rlimits",
        "rlimits-uid": "rlimits+uid",
    }[mode]
    if cgroups.available():
        expected += "+cgroup"
    assert {s.isolation for s in scores} == {expected}


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


@pytest.mark.skipif(not ROOT, reason="root only")
def test_rlimits_as_root_refuses_when_it_can_neither_jail_nor_drop_the_uid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(isolation, "probe_jail", lambda: "mount: Operation not permitted")
    monkeypatch.setattr(isolation, "probe_uid_drop", lambda: "setresuid: Operation not permitted")
    with pytest.raises(InfraError, match="refuses to run samples as root") as err:
        setup("rlimits")
    assert err.value.exit_code == EXIT_INFRA


@pytest.mark.skipif(not ROOT, reason="root only")
def test_without_the_jail_root_still_drops_to_an_unprivileged_uid() -> None:
    assert probe_uid_drop() is None
