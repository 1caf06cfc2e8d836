"""Choosing the executor: the CLI wins over the spec's `run:`; what cannot run in a replica is
exit 2 with the spec's file and line, before a run exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ray_specs import write_spec

from evalspec.runner import LocalExecutor
from evalspec.runner.ray import RayExecutor
from evalspec.runner.select import choose_executor
from evalspec.spec import load_spec


def _check(spec: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "evalspec.cli",
            "check",
            str(spec),
            *args,
            "--runs-dir",
            str(spec.parent / "runs"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_the_cli_wins_over_the_specs_run_block(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, models=["m"], run={"executor": "ray", "replicas": 3})
    loaded = load_spec(spec)
    chosen = choose_executor(loaded)
    assert isinstance(chosen, RayExecutor) and chosen.settings.replicas == 3
    assert isinstance(choose_executor(loaded, "local"), LocalExecutor)
    local = write_spec(tmp_path, models=["m"], run={})
    by_address = choose_executor(load_spec(local), ray_address="ray://head:10001")
    assert isinstance(by_address, RayExecutor)
    assert by_address.settings.address == "ray://head:10001"  # nothing connects until a run


def test_per_model_replicas_must_name_models_of_the_spec(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, models=["m"], run={"executor": "ray", "replicas": {"mm": 2}})
    line = _one_error_line(_check(spec))
    assert "scale.yaml:" in line and "run.replicas names model 'mm'" in line
    assert "use one of: m" in line


def test_vllm_data_parallelism_and_its_ray_backend_are_refused_with_the_ray_executor(
    tmp_path: Path,
) -> None:
    spec = write_spec(tmp_path, models=["m"], run={"executor": "ray"})
    spec.write_text(spec.read_text().replace("max_model_len: 1024", "data_parallel_size: 2"))
    line = _one_error_line(_check(spec))
    assert "data parallelism is not supported for dense models" in line
    assert "replicas: 2" in line and "scale.yaml:" in line
    spec.write_text(
        spec.read_text().replace("data_parallel_size: 2", "distributed_executor_backend: ray")
    )
    assert "multiprocessing backend" in _one_error_line(_check(spec, "--executor", "ray"))
    # the local executor leaves vLLM's own settings to vLLM
    assert isinstance(choose_executor(load_spec(spec), "local"), LocalExecutor)


@pytest.mark.parametrize(
    ("run", "args", "expected"),
    [
        ({}, ["--executor", "local", "--ray-address", "auto"], "--ray-address needs the ray"),
        ({"executor": "dask"}, [], r"run\.executor"),
        ({"executor": "ray", "replicas": 0}, [], r"run\.replicas"),
        ({"executor": "ray", "shard_timeout_s": 0}, [], r"run\.shard_timeout_s"),
    ],
)
def test_bad_run_settings_are_one_line_usage_errors(
    tmp_path: Path, run: dict[str, object], args: list[str], expected: str
) -> None:
    spec = write_spec(tmp_path, models=["m"], run=run)
    line = _one_error_line(_check(spec, *args))
    assert __import__("re").search(expected, line), line
