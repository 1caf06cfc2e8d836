"""Exit codes the verdict owns: Ctrl-C is 130 ("interrupted"), and a report that cannot be
written is a warning naming its path while the verdict's exit code stands."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from cli_runs import run_evalspec
from report_runs import outcomes, unit_result, write_run

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "arith_mini.jsonl"


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_sigint_during_a_check_exits_130_says_interrupted_and_finishes_the_run(
    tmp_path: Path,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        spec = {
            "version": 1,
            "name": "remote",
            "models": [
                {
                    "id": "remote",
                    "source": "standin",
                    "engine": "openai",
                    "server": {"base_url": f"http://127.0.0.1:{silent.getsockname()[1]}/v1"},
                }
            ],
            "tasks": [
                {
                    "id": "arith",
                    "dataset": {"format": "jsonl", "source": str(FIXTURE)},
                    "scorer": {"type": "numeric"},
                }
            ],
            "samples": {"limit": 2},
        }
        (tmp_path / "remote.yaml").write_text(yaml.safe_dump(spec))
        proc = subprocess.Popen(
            [sys.executable, "-m", "evalspec.cli", "check", "remote.yaml", "--runs-dir", "runs"],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            silent.settimeout(60)
            connection, _ = silent.accept()  # the run is waiting on the endpoint now
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
            connection.close()
        finally:
            proc.kill()
            proc.wait()  # reaped: no zombie for later tests' leftover checks

    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: interrupted by SIGINT: run ")
    (manifest,) = (tmp_path / "runs").glob("*/manifest.json")
    assert json.loads(manifest.read_text())["status"] != "running"


def test_ctrl_c_at_the_baseline_prompt_exits_130_and_writes_nothing(workspace: Path) -> None:
    scores = {f"arith-{i:03d}": 1.0 for i in range(40)}
    write_run(workspace / "runs", scores, "OUT", units=[unit_result(scores, task="arithmetic")])
    baseline = workspace / "baselines" / "smoke.json"
    before = baseline.read_bytes()
    leader, follower = pty.openpty()  # a terminal, so the command asks before writing
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalspec.cli", "baseline", "update", "specs/smoke.yaml",
         "--runs-dir", "runs"],
        cwd=workspace, stdin=follower, stdout=follower, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"write it?" not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            if select.select([leader], [], [], 1)[0]:
                seen += os.read(leader, 4096)
        # a signal that lands between the prompt's echo and the blocking read is only seen
        # by Python when the read returns (a CPython race no person can hit): let the read
        # start, as a person's keypress would, before Ctrl-C
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        while select.select([leader], [], [], 0.5)[0]:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        proc.kill()
        proc.wait()  # reaped: no zombie for later tests' leftover checks
        os.close(leader)

    text = seen.decode(errors="replace")
    assert proc.returncode == 130, text
    assert "error: interrupted" in text and "Traceback" not in text
    assert baseline.read_bytes() == before


def _regressed_runs(tmp_path: Path) -> tuple[str, str, str]:
    """A baseline run, a candidate that lost 6 of 8 samples, and a thresholds file."""
    a = write_run(tmp_path / "runs", outcomes({0, 1, 2, 3, 4, 5, 6, 7}), "OLD")
    b = write_run(tmp_path / "runs", outcomes({0, 1}), "NEW")
    rules = tmp_path / "th.yaml"
    rules.write_text("version: 1\nrules:\n  - min: 0.5\n")
    return str(a.path), str(b.path), str(rules)


def test_unwritable_report_paths_are_warnings_and_the_fail_still_exits_1(tmp_path: Path) -> None:
    a, b, rules = _regressed_runs(tmp_path)
    (tmp_path / "a-file").write_text("not a directory")
    summary_dir = tmp_path / "summary-dir"
    summary_dir.mkdir()

    ran = run_evalspec(
        "diff", a, b, "--thresholds", rules,
        "--report-md", "a-file/report.md", "--junit", "a-file/junit.xml",
        cwd=tmp_path, env={"GITHUB_STEP_SUMMARY": str(summary_dir)},
    )  # fmt: skip

    assert ran.returncode == 1, ran.stderr
    assert "Traceback" not in ran.stderr
    assert ran.stderr.splitlines() == [
        "evalspec: warning: could not write the markdown report to a-file/report.md: File exists",
        "evalspec: warning: could not write the junit report to a-file/junit.xml: File exists",
        f"evalspec: warning: could not append the report to $GITHUB_STEP_SUMMARY "
        f"({summary_dir}): Is a directory",
    ]
    assert "**FAIL**" in ran.stdout  # the report still reaches the log
    assert (tmp_path / "a-file").read_text() == "not a directory"


def test_a_report_into_a_read_only_directory_is_a_warning(
    tmp_path: Path, read_only: Callable[[Path], tuple[str, ...]]
) -> None:
    a, b, rules = _regressed_runs(tmp_path)
    (tmp_path / "reports").mkdir()

    ran = run_evalspec(
        "diff", a, b, "--thresholds", rules, "--junit", "reports/junit.xml",
        cwd=tmp_path, prefix=read_only(tmp_path / "reports"),
    )  # fmt: skip

    assert ran.returncode == 1, ran.stderr
    assert ran.stderr.splitlines() == [
        "evalspec: warning: could not write the junit report to reports/junit.xml: "
        "Read-only file system"
    ]
    assert list((tmp_path / "reports").iterdir()) == []
