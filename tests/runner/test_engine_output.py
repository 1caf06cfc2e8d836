"""What engines print (fd 1, fd 2, logging, warnings) goes to the run's engine.log, not ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fake_engine import FakeEngines

from evalspec.checking import run_check
from evalspec.engines import ENGINE_LOG, engine_output_to, log_tail
from evalspec.runner import LocalExecutor
from evalspec.store.cache import RESPONSE_CACHE_ENV

MODEL = {"id": "fake", "source": "builtin:smollm2-135m-instruct"}


def _noise(index: int) -> None:
    """What vLLM and torch print while they run: C++ to fd 2, and to fd 1."""
    os.write(2, b"[W1201 utils.cpp:68] Warning: NUMA binding: Using MEMBIND policy\n")
    os.write(1, b"Triton is installed, but doesn't include CPU backend.\n")


# a real process (pytest's own capture replaces sys.stderr): engine noise of every kind
CHILD = """
import logging, os, sys, warnings
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from fake_engine import FakeEngines
from evalspec.checking import run_check
from evalspec.engines import terminal
from evalspec.runner import Lines, LocalExecutor

logging.basicConfig()  # a handler on sys.stderr, as vLLM installs one on sys.stdout

def noise(index):
    os.write(2, b"[W1201 utils.cpp:68] Warning: NUMA binding: Using MEMBIND policy\\n")
    os.write(1, b"Triton is installed, but doesn't include CPU backend.\\n")
    warnings.warn("`torch.distributed.reduce_op` is deprecated", FutureWarning)
    logging.getLogger("vllm").warning("libtcmalloc is not found in LD_PRELOAD")
    print(f"chunk {index} done")  # buffered: flushed into the log when the capture ends

ours = terminal()
outcome = run_check(
    Path(sys.argv[2]),
    runs_dir=Path(sys.argv[3]),
    executor=LocalExecutor(FakeEngines(on_call=noise).pool()),
    events=Lines(lambda line: ours.write(f"evalspec: {line}\\n")),
    engine_log=True,
)
print(f"report for {outcome.run_dir}")
sys.exit(outcome.exit_code)
"""


@pytest.fixture
def spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(tmp_path / "responses.sqlite"))
    rows = [{"id": f"q{i}", "prompt": f"What is {i} + 1?", "target": str(i + 1)} for i in range(4)]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    task = {
        "id": "a",
        "dataset": {"format": "jsonl", "source": "data.jsonl"},
        "generation": {"max_tokens": 8},
        "scorer": {"type": "numeric"},
    }
    path = tmp_path / "noisy.yaml"
    path.write_text(
        yaml.safe_dump({"version": 1, "name": "noisy", "models": [MODEL], "tasks": [task]})
    )
    return path


def test_engine_output_goes_to_the_run_log_and_ours_to_the_terminal(spec: Path) -> None:
    runs = spec.parent / "runs"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(Path(__file__).parent), str(spec), str(runs)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    (run_dir,) = runs.iterdir()
    log = (run_dir / ENGINE_LOG).read_text()
    for noise in ("NUMA binding", "Triton is installed", "FutureWarning", "libtcmalloc", "chunk 0"):
        assert noise in log
        assert noise not in done.stdout + done.stderr
    assert "evalspec: fake/a: accuracy" in done.stderr  # our own lines reach the terminal
    assert f"evalspec: engine output goes to {run_dir / ENGINE_LOG}" in done.stderr
    assert done.stdout == f"report for {run_dir}\n"  # fd 1 is ours again after the run


def test_an_engine_error_keeps_its_message_in_the_report(
    spec: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    engines = FakeEngines(raise_on_call=0, on_call=_noise)

    outcome = run_check(
        spec,
        runs_dir=spec.parent / "runs",
        executor=LocalExecutor(engines.pool()),
        engine_log=True,
        use_cache=False,
    )

    assert outcome.exit_code == 3
    assert "engine failed: RuntimeError: engine core died" in outcome.reports.markdown
    assert "NUMA binding" in (outcome.run_dir / ENGINE_LOG).read_text()
    assert "NUMA binding" not in "".join(capfd.readouterr())


def test_descriptors_are_restored_after_an_exception(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / ENGINE_LOG
    with pytest.raises(RuntimeError), engine_output_to(log):
        os.write(2, b"inside\n")
        raise RuntimeError("load failed")
    os.write(2, b"outside\n")

    assert capfd.readouterr().err == "outside\n"
    assert log_tail(log) == ["inside"]
    assert log_tail(tmp_path / "missing.log") == []
