"""The environment header: git revision and dirty flag, Python, package versions."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

import evalspec
from evalspec.store import collect_environment

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@needs_git
def test_git_sha_and_dirty_flag_of_a_repository(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "spec.yaml").write_text("version: 1\n")
    _git(tmp_path, "add", "spec.yaml")
    _git(tmp_path, "commit", "-q", "-m", "first")
    sha = _git(tmp_path, "rev-parse", "HEAD")

    clean = collect_environment(tmp_path)
    (tmp_path / "spec.yaml").write_text("version: 2\n")
    dirty = collect_environment(tmp_path)

    branch = _git(tmp_path, "symbolic-ref", "--short", "HEAD")
    assert clean["git"] == {"sha": sha, "branch": branch, "dirty": False}
    assert dirty["git"] == {"sha": sha, "branch": branch, "dirty": True}


@needs_git
def test_detached_head_takes_the_branch_ci_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "first")
    _git(tmp_path, "checkout", "-q", "--detach")
    monkeypatch.delenv("GITHUB_HEAD_REF", raising=False)
    monkeypatch.delenv("GITHUB_REF_NAME", raising=False)
    assert collect_environment(tmp_path)["git"]["branch"] is None

    monkeypatch.setenv("GITHUB_REF_NAME", "main")
    assert collect_environment(tmp_path)["git"]["branch"] == "main"
    monkeypatch.setenv("GITHUB_HEAD_REF", "feature/x")  # a pull request's source branch
    assert collect_environment(tmp_path)["git"]["branch"] == "feature/x"


def test_outside_a_repository_git_fields_are_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    plain = tmp_path / "plain"
    plain.mkdir()

    env = collect_environment(plain)

    assert env["git"] is None


def test_python_platform_and_package_versions_are_recorded(tmp_path: Path) -> None:
    env = collect_environment(tmp_path)

    assert env["python"] == platform.python_version()
    assert env["platform"] == platform.platform()
    assert set(env["packages"]) == {"evalspec", "vllm", "torch", "transformers"}
    assert env["packages"]["evalspec"] == evalspec.__version__
    assert all(v is None or isinstance(v, str) for v in env["packages"].values())
