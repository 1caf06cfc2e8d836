"""The CLI's contract for bad input: exit 2, one line naming file:line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _evalspec(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evalspec.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _assert_usage_error(proc: subprocess.CompletedProcess[str], pattern: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert __import__("re").search(pattern, lines[0]), lines[0]


@pytest.mark.parametrize("command", ["validate", "plan", "check"])
def test_typo_key_exits_2_with_line_and_suggestion(workspace: Path, command: str) -> None:
    spec = workspace / "specs" / "smoke.yaml"
    spec.write_text(
        spec.read_text().replace("generation: {max_tokens: 16", "generaton: {max_tokens: 16")
    )
    proc = _evalspec(command, "specs/smoke.yaml", cwd=workspace)
    _assert_usage_error(
        proc, r"^error: specs/smoke\.yaml:\d+: tasks\[0\]\.generaton: .*'generation'"
    )


def test_wrong_type_exits_2(workspace: Path) -> None:
    spec = workspace / "specs" / "smoke.yaml"
    spec.write_text(spec.read_text().replace("max_tokens: 16", "max_tokens: lots"))
    proc = _evalspec("check", "specs/smoke.yaml", cwd=workspace)
    _assert_usage_error(
        proc, r"specs/smoke\.yaml:\d+: tasks\[0\]\.generation\.max_tokens: .*'lots'"
    )


def test_missing_spec_file_exits_2(workspace: Path) -> None:
    proc = _evalspec("check", "specs/nope.yaml", cwd=workspace)
    _assert_usage_error(proc, r"specs/nope\.yaml: file not found")


def test_missing_thresholds_file_exits_2_at_referencing_line(workspace: Path) -> None:
    (workspace / "thresholds" / "smoke.yaml").unlink()
    proc = _evalspec("check", "specs/smoke.yaml", cwd=workspace)
    _assert_usage_error(proc, r"specs/smoke\.yaml:\d+: gate\.thresholds: file not found")


def test_bad_yaml_exits_2_with_line_and_column(workspace: Path) -> None:
    spec = workspace / "specs" / "smoke.yaml"
    spec.write_text(spec.read_text().replace("tasks:\n", "tasks: [\n", 1))
    proc = _evalspec("validate", "specs/smoke.yaml", cwd=workspace)
    _assert_usage_error(proc, r"specs/smoke\.yaml:\d+:\d+: invalid YAML")


def test_missing_dataset_exits_2(workspace: Path) -> None:
    (workspace / "specs" / "data" / "arithmetic.jsonl").unlink()
    proc = _evalspec("plan", "specs/smoke.yaml", cwd=workspace)
    _assert_usage_error(proc, r"specs/smoke\.yaml:\d+: tasks\[0\]\.dataset\.source: .*not found")


def test_validate_accepts_the_example_specs(repo: Path) -> None:
    proc = _evalspec("validate", "specs/smoke.yaml", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "ok: specs/smoke.yaml (1 models, 2 tasks)" in proc.stdout


def test_plan_dry_run_shows_exactly_one_engine_load(repo: Path) -> None:
    proc = _evalspec("plan", "specs/smoke.yaml", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "smoke: 2 units, 50 samples, 1 engine load" in proc.stdout
    assert "smol/arithmetic" in proc.stdout and "smol/humaneval" in proc.stdout


def test_schema_prints_json_schema_of_each_kind(repo: Path) -> None:
    import json

    for kind, key in (("spec", "tasks"), ("thresholds", "rules"), ("catalog", "models")):
        proc = _evalspec("schema", "--kind", kind, cwd=repo)
        assert proc.returncode == 0, proc.stderr
        assert key in json.loads(proc.stdout)["properties"]


@pytest.mark.parametrize(
    ("scorer", "needs"),
    [
        ("{type: choice}", "options"),
        ("{type: function_call}", "'functions' and 'ground_truth'"),
        ("{type: ifeval}", "'instruction_id_list' and 'kwargs'"),
        ("{type: code_exec}", "'test' and 'entry_point'"),
    ],
)
def test_scorer_that_cannot_read_the_format_exits_2_before_generating(
    workspace: Path, scorer: str, needs: str
) -> None:
    """`check` stops when the plan is compiled (no engine load, no wasted generation)."""
    spec = workspace / "specs" / "smoke.yaml"
    spec.write_text(spec.read_text().replace("scorer: {type: numeric}", f"scorer: {scorer}"))
    proc = _evalspec("check", "specs/smoke.yaml", cwd=workspace)
    _assert_usage_error(
        proc,
        rf"specs/smoke\.yaml:\d+: tasks\[0\]\.scorer: scorer \w+ needs samples with {needs}",
    )
    assert "loading" not in proc.stderr
