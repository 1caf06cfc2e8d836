"""A model vLLM cannot load is an infrastructure failure: exit 3 and an ERROR row, no traceback;
the spec's other models still run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalspec.cli import cli

pytestmark = pytest.mark.slow


def test_unloadable_model_is_exit_3_with_the_reason_in_the_report(tmp_path: Path) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "no-such-architecture"}))
    (tmp_path / "qa.jsonl").write_text('{"id": "q1", "prompt": "2+2?", "target": "4"}\n')
    (tmp_path / "spec.yaml").write_text(
        """version: 1
name: broken
models:
  - {id: broken, source: ./broken-model}
  - {id: smol, source: "builtin:smollm2-135m-instruct", engine_args: {max_model_len: 2048}}
tasks:
  - id: qa
    dataset: {format: jsonl, source: qa.jsonl}
    scorer: {type: numeric}
"""
    )
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(tmp_path / "spec.yaml"),
            "--runs-dir",
            str(tmp_path / "runs"),
            "--report-json",
            str(report),
            "-q",
        ],
    )
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "ERROR" in result.output and "vLLM could not load" in result.output
    (run_dir,) = list((tmp_path / "runs").iterdir())
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "failed"
    # the good model's unit ran after the failed load, and passed
    rows = {row["model"]: row for row in json.loads(report.read_text())["rows"]}
    assert rows["broken"]["status"] == "ERROR"
    assert rows["smol"]["status"] == "PASS", rows["smol"]
    records = [json.loads(x) for x in (run_dir / "records.jsonl").read_text().splitlines()]
    assert {r["unit_id"] for r in records} == {"smol/qa"}
    units = json.loads((run_dir / "results.json").read_text())["units"]
    errors = {u["unit_id"]: u["error"] for u in units}
    assert errors["smol/qa"] is None and "vLLM could not load" in errors["broken/qa"]


def test_a_failed_load_shows_its_message_and_the_engine_log_tail(tmp_path: Path) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "no-such-architecture"}))
    (tmp_path / "qa.jsonl").write_text('{"id": "q1", "prompt": "2+2?", "target": "4"}\n')
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\nname: broken\nmodels:\n  - {id: broken, source: ./broken-model}\n"
        "tasks:\n  - {id: qa, dataset: {format: jsonl, source: qa.jsonl},"
        " scorer: {type: numeric}}\n"
    )
    env = {**os.environ, "EVALSPEC_RUNS_DIR": str(tmp_path / "runs")}
    env.pop("VLLM_LOGGING_LEVEL", None)

    done = subprocess.run(
        [sys.executable, "-m", "evalspec.cli", "check", str(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert "evalspec: [1/1] broken/qa: ERROR vLLM could not load" in done.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    tail = [line for line in done.stderr.splitlines() if line.startswith("evalspec: engine.log: ")]
    assert tail, done.stderr  # what vLLM printed before it gave up, for the operator
    assert all(
        line.removeprefix("evalspec: engine.log: ") in (run_dir / "engine.log").read_text()
        for line in tail
    )
    assert re.search(r"[\x00-\x09\x0b-\x1f\x7f]", done.stderr) is None
    assert "vLLM could not load" in done.stdout  # the report's ERROR row
