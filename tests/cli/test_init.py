"""`evalspec init`: a project that validates at once, a workflow that lints, nothing overwritten."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflows"))

from test_workflows import _actionlint

from evalspec.cli import cli

REPO = Path(__file__).resolve().parents[2]
FILES = [
    "specs/first.yaml",
    "specs/data/first.jsonl",
    "thresholds/first.yaml",
    "baselines/README.md",
    ".github/workflows/evalspec.yml",
]


def test_init_scaffolds_a_project_whose_spec_validates_and_plans(tmp_path: Path) -> None:
    project = tmp_path / "project"
    runner = CliRunner()

    done = runner.invoke(cli, ["init", str(project)])

    assert done.exit_code == 0, done.output
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()) == sorted(
        FILES
    )
    assert f"created {project / 'specs' / 'first.yaml'}" in done.output
    assert "evalspec baseline update" in done.output
    spec = project / "specs" / "first.yaml"
    valid = runner.invoke(cli, ["validate", str(spec)])
    assert valid.exit_code == 0, valid.output
    plan = runner.invoke(cli, ["plan", str(spec)])
    assert "smol/arithmetic  40/40" in plan.output


def test_init_writes_nothing_when_a_file_is_there(tmp_path: Path) -> None:
    (tmp_path / "thresholds").mkdir()
    (tmp_path / "thresholds" / "first.yaml").write_text("mine\n")

    done = CliRunner().invoke(cli, ["init", str(tmp_path)])

    assert done.exit_code == 2
    assert "thresholds/first.yaml already exists; `evalspec init` never writes over a file" in (
        done.output
    )
    assert (tmp_path / "thresholds" / "first.yaml").read_text() == "mine\n"
    assert not (tmp_path / "specs").exists()


def test_the_scaffolded_workflow_uses_the_action_and_passes_actionlint(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["init", str(tmp_path)])
    workflow = tmp_path / ".github" / "workflows" / "evalspec.yml"
    assert "uses: evalspec/evalspec@v1" in workflow.read_text()
    # lint it as written, and against this action's metadata (as `uses: ./` in a repository
    # whose root holds action.yml), which checks every input it passes
    (tmp_path / ".git").mkdir()
    shutil.copy(REPO / "action.yml", tmp_path / "action.yml")
    local = tmp_path / ".github" / "workflows" / "local.yml"
    local.write_text(workflow.read_text().replace("evalspec/evalspec@v1", "./"))

    done = subprocess.run(
        [
            _actionlint(),
            "-no-color",
            str(workflow.relative_to(tmp_path)),
            str(local.relative_to(tmp_path)),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )

    assert done.returncode == 0, done.stdout + done.stderr
