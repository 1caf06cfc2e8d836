"""`evalspec init` then `evalspec check` on the built-in model: passes at once, engine noise in
engine.log, then a baseline and a second check that passes the gate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evalspec.engines import ENGINE_LOG

pytestmark = pytest.mark.slow

EVALSPEC = [sys.executable, "-m", "evalspec.cli"]
NOISE = ("Triton", "NUMA", "FutureWarning", " INFO ", " WARNING ")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EVALSPEC, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


def test_init_then_check_passes_on_the_built_in_model(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "EVALSPEC_RESPONSE_CACHE": str(tmp_path / "responses.sqlite"),  # the engine must run
        "EVALSPEC_RUNS_DIR": str(tmp_path / "runs"),
    }
    env.pop("VLLM_LOGGING_LEVEL", None)  # check logs the engine at INFO into engine.log
    assert _run(["init", "project"], tmp_path, env).returncode == 0
    project = tmp_path / "project"

    first = _run(["check", "specs/first.yaml"], project, env)

    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[1].startswith("**WARN** — 1 warning in first")
    assert "no baseline for this unit; run `evalspec baseline update`" in first.stdout
    (run_dir,) = (tmp_path / "runs").iterdir()
    log = (run_dir / ENGINE_LOG).read_text()
    assert "Initializing a V1 LLM engine" in log  # vLLM's own lines are in the log
    assert not [line for line in first.stderr.splitlines() if any(n in line for n in NOISE)]
    assert "evalspec: [1/1] smol/arithmetic: accuracy" in first.stderr
    assert first.stdout.rstrip().endswith("exit code 0</sub>")  # nothing after the report

    update = _run(["baseline", "update", "specs/first.yaml", "--yes"], project, env)
    assert update.returncode == 0, update.stderr
    second = _run(["check", "specs/first.yaml"], project, env)

    assert second.returncode == 0, second.stderr
    verdict = second.stdout.splitlines()[1]
    assert verdict.startswith("**PASS** — all ") and " checks passed in first " in verdict
