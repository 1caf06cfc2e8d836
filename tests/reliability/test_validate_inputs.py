"""Issue 12: `validate` rejects everything `plan` and `check` would, before running.

Each case used to pass `validate` and fail only in `plan` or `check`; now `validate`
compiles the plan (datasets read, prompts rendered, scorer inputs checked, no engine
loaded) and reads the baseline, so it exits 2 with the same line as the later command.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from inputs_cli import Workspace, evalspec, usage_error, workspace

from evalspec.cli import cli

CASES = {
    "template field the rows lack": (
        ("spec.yaml", "{prompt} Answer", "{question} Answer"),
        r"spec\.yaml:9: prompt\.template uses \{question\}, which sample 'q0' does not have",
    ),
    "missing data file": (
        ("spec.yaml", "source: data.jsonl", "source: nowhere.jsonl"),
        r"tasks\[0\]\.dataset\.source: dataset source not found: .*nowhere\.jsonl",
    ),
    "broken data row": (
        ("data.jsonl", '"target": "3"}', '"target": 3,}'),
        r"data\.jsonl:3: invalid JSON",
    ),
    "scorer the format cannot feed": (
        ("spec.yaml", "{type: numeric}", "{type: choice}"),
        r"tasks\[0\]\.scorer: scorer choice needs samples with options",
    ),
    "missing judge rubric": (
        ("spec.yaml", "{type: numeric}", "{type: judge, model: smol, rubric: rubric.txt}"),
        r"tasks\[0\]\.scorer\.rubric: rubric file 'rubric\.txt'",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_validate_rejects_what_plan_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """The validate command in process (click's runner); one case per subprocess below."""
    (name, old, new), pattern = CASES[case]
    workspace(tmp_path).edit(name, old, new)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "spec.yaml"])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert re.search(pattern, lines[0]), lines[0]


def test_validate_and_plan_give_the_same_line(tmp_path: Path) -> None:
    (name, old, new), pattern = CASES["scorer the format cannot feed"]
    workspace(tmp_path).edit(name, old, new)
    validated = usage_error(evalspec("validate", "spec.yaml", cwd=tmp_path), pattern)
    assert usage_error(evalspec("plan", "spec.yaml", cwd=tmp_path), pattern) == validated


def test_validate_reads_the_baseline_like_check(tmp_path: Path) -> None:
    ws: Workspace = workspace(tmp_path)
    ws.edit("spec.yaml", "{thresholds: thresholds.yaml}", "{baseline: base.json}")
    (tmp_path / "base.json").write_text('{"version": 1,\n  "units": oops}\n')
    validated = evalspec("validate", "spec.yaml", cwd=tmp_path)
    line = usage_error(validated, r"^error: base\.json:2: invalid baseline JSON")
    checked = evalspec("check", "--quiet", "spec.yaml", cwd=tmp_path)
    assert usage_error(checked, r"base\.json") == line


def test_validate_loads_no_engine_and_reports_the_plan(tmp_path: Path) -> None:
    workspace(tmp_path)
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok: spec.yaml (1 models, 1 tasks): 1 units, 4 samples\n"
    assert proc.stderr == ""
    assert not (tmp_path / "runs").exists()


def test_validate_spec_only_reads_no_dataset(tmp_path: Path) -> None:
    workspace(tmp_path).edit("spec.yaml", "source: data.jsonl", "source: nowhere.jsonl")
    proc = evalspec("validate", "--spec-only", "spec.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok: spec.yaml (1 models, 1 tasks)\n"


def test_validate_accepts_a_model_catalog(tmp_path: Path) -> None:
    workspace(tmp_path)
    proc = evalspec("validate", "models.yaml", "spec.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "ok: models.yaml (model catalog, 1 models)",
        "ok: spec.yaml (1 models, 1 tasks): 1 units, 4 samples",
    ]


def test_template_field_only_the_first_row_has_is_one_line_at_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row is checked against the template at its line; a later row without the
    field used to raise KeyError while prompts were rendered."""
    ws = workspace(tmp_path)
    ws.edit("data.jsonl", '"id": "q0"', '"id": "q0", "extra": "x"')
    ws.edit("spec.yaml", "{prompt} Answer", "{prompt} {extra} Answer")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "spec.yaml"])
    assert result.exit_code == 2, result.output
    assert result.output == (
        "error: spec.yaml:9: prompt.template uses {extra}, which sample 'q1' does not have; "
        "available: prompt, target; give every row that field or remove it from the template\n"
    )
