"""The composite action (action.yml): its metadata lints, and its gate script works end to end.

The gate script runs as the action runs it (the Python evalspec is installed in, GitHub's
environment variables) against a spec on the OpenAI-compatible stand-in and the GitHub
API stand-in: reports, sticky comments, outputs, annotations and the exit code.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engines"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "github"))

from fake_github import FakeGitHub, serve
from openai_standin import Behaviour, standin
from test_workflows import _actionlint

REPO = Path(__file__).resolve().parents[2]
GATE = REPO / "scripts" / "action" / "gate.py"
INSTALL = REPO / "scripts" / "action" / "install.sh"


def _lint_in_repo(root: Path, workflow: str) -> subprocess.CompletedProcess[str]:
    """actionlint on a workflow of a repository whose root holds this action.yml (as `./`)."""
    (root / ".git").mkdir(exist_ok=True)
    shutil.copy(REPO / "action.yml", root / "action.yml")
    shutil.copy(REPO / ".github" / "actionlint.yaml", root / "actionlint.yaml")  # `gpu` label
    (root / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (root / ".github" / "workflows" / "gate.yml").write_text(workflow)
    return subprocess.run(
        [
            _actionlint(),
            "-no-color",
            "-config-file",
            "actionlint.yaml",
            ".github/workflows/gate.yml",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _readme_workflow() -> str:
    """The workflow the README shows under "The evalspec action"."""
    section = (REPO / "README.md").read_text().split("### The evalspec action", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_readme_workflow_is_ten_lines_and_passes_actionlint_against_the_action(
    tmp_path: Path,
) -> None:
    workflow = _readme_workflow()
    assert "uses: evalspec/evalspec@v1" in workflow
    local = workflow.replace("evalspec/evalspec@v1", "./")

    good = _lint_in_repo(tmp_path, local)
    bad = _lint_in_repo(tmp_path, local.replace("specs:", "spec:"))

    assert len(workflow.splitlines()) <= 11
    assert good.returncode == 0, good.stdout + good.stderr
    assert bad.returncode == 1
    assert 'input "spec" is not defined in action "evalspec regression gate"' in bad.stdout


def test_the_action_declares_its_inputs_and_outputs_and_calls_the_scripts() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())

    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"specs", "python-version", "extras", "comment"}
    assert "artifact-name" in action["inputs"]
    assert set(action["outputs"]) == {"exit-code", "reports", "report-dir", "runs-dir"}
    runs = " ".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "scripts/action/install.sh" in runs and "scripts/action/gate.py" in runs
    assert subprocess.run(["bash", "-n", str(INSTALL)]).returncode == 0


def _project(root: Path, base_url: str, floor: float | None = None) -> None:
    """specs/remote.yaml on the stand-in, plus a model catalog the glob must skip."""
    (root / "specs").mkdir()
    (root / "specs" / "data.jsonl").write_text(
        "".join(
            json.dumps({"id": f"q{i}", "prompt": f"{i} + 1?", "target": str(i + 1)}) + "\n"
            for i in range(4)
        )
    )
    model = {
        "id": "remote",
        "source": "standin",
        "engine": "openai",
        "server": {"base_url": base_url},
    }
    spec: dict[str, object] = {
        "version": 1,
        "name": "remote",
        "models": [model],
        "tasks": [
            {
                "id": "arith",
                "dataset": {"format": "jsonl", "source": "data.jsonl"},
                "scorer": {"type": "numeric"},
            }
        ],
    }
    if floor is not None:
        (root / "thresholds.yaml").write_text(
            f"version: 1\nrules:\n  - metric: accuracy\n    min: {floor}\n"
        )
        spec["gate"] = {"thresholds": "../thresholds.yaml"}
    (root / "specs" / "remote.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (root / "specs" / "models.yaml").write_text("version: 1\nmodels:\n  - {id: x, source: y}\n")


def _gate(
    root: Path, github: FakeGitHub, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    event = root / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    outputs = root / "github-output"
    outputs.write_text("")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
        "EVALSPEC_RESPONSE_CACHE": str(root / "responses.sqlite"),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": github.repo,
        "GITHUB_TOKEN": github.token,
        "GITHUB_API_URL": github.url,
        "INPUT_SPECS": "specs/*.yaml",
        "INPUT_COMMENT": "true",
        **inputs,
    }
    done = subprocess.run(
        [sys.executable, str(GATE)], cwd=root, env=env, capture_output=True, text=True, timeout=180
    )
    return done, _outputs(outputs.read_text())


def _outputs(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT's `name<<DELIMITER` blocks."""
    values, lines = {}, iter(text.splitlines())
    for line in lines:
        name, delimiter = line.split("<<", 1)
        values[name] = "\n".join(iter(lambda: next(lines), delimiter))
    return values


@pytest.fixture
def github() -> object:
    fake = FakeGitHub()
    server = serve(fake)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def test_the_gate_checks_each_spec_comments_once_and_sets_its_outputs(
    tmp_path: Path, github: FakeGitHub
) -> None:
    with standin(Behaviour()) as url:
        _project(tmp_path, url)
        first, outputs = _gate(tmp_path, github, INPUT_ARGS="--mode validate")
        second, _ = _gate(tmp_path, github)

    assert first.returncode == 0, first.stdout + first.stderr
    report = tmp_path / "evalspec-reports" / "remote.md"
    assert outputs == {
        "exit-code": "0",
        "reports": str(report),
        "report-dir": str(tmp_path / "evalspec-reports"),
        "runs-dir": str(tmp_path / "runs"),
    }
    assert "::group::evalspec check specs/remote.yaml" in first.stdout
    assert "specs/models.yaml" not in first.stdout  # a catalog, not a spec
    assert (tmp_path / "evalspec-reports" / "exit-codes").read_text() == "specs/remote.yaml 0\n"
    assert {p.suffix for p in (tmp_path / "evalspec-reports").glob("remote.*")} == {
        ".md",
        ".json",
        ".xml",
    }
    assert "no gate configured" in report.read_text()
    assert second.returncode == 0
    (posted,) = github.comments[7]  # created once, then updated
    assert posted["body"].startswith("<!-- evalspec:report spec=remote -->")
    assert [method for method, _, _ in github.requests].count("POST") == 1
    assert [method for method, _, _ in github.requests].count("PATCH") == 1


def test_a_regression_fails_the_gate_with_an_annotation_and_still_comments(
    tmp_path: Path, github: FakeGitHub
) -> None:
    with standin(Behaviour()) as url:  # the stand-in echoes prompts: accuracy 0
        _project(tmp_path, url, floor=0.5)
        done, outputs = _gate(tmp_path, github)

    assert done.returncode == 1
    assert outputs["exit-code"] == "1"
    assert (
        "::error title=regression::specs/remote.yaml: the model regressed (exit 1)" in done.stdout
    )
    assert "below min 0.500" in github.comments[7][0]["body"]


def test_comment_false_posts_nothing_and_a_refused_comment_is_only_a_warning(
    tmp_path: Path, github: FakeGitHub
) -> None:
    with standin(Behaviour()) as url:
        _project(tmp_path, url)
        quiet, _ = _gate(tmp_path, github, INPUT_COMMENT="false")
        requests_after_quiet = list(github.requests)
        github.read_only = True
        refused, outputs = _gate(tmp_path, github)

    assert quiet.returncode == 0 and requests_after_quiet == []
    assert refused.returncode == 0
    assert outputs["exit-code"] == "0"
    warning = next(line for line in refused.stdout.splitlines() if "no PR comment" in line)
    assert warning.startswith("::warning title=no PR comment::remote.md: error: ")
    assert "403 Resource not accessible by integration" in warning


def test_no_matching_spec_is_exit_2_with_an_error_annotation(
    tmp_path: Path, github: FakeGitHub
) -> None:
    done, outputs = _gate(tmp_path, github, INPUT_SPECS="nowhere/*.yaml")

    assert done.returncode == 2
    assert outputs["exit-code"] == "2"
    assert "::error title=no specs::no spec file matches 'nowhere/*.yaml'" in done.stdout
