"""Reliability tests: the CLI driven with broken inputs, as a user's shell would run it.

Runs are built with the report tests' helpers (tests/report/report_runs.py); the
CLI runs through cli_runs.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))


@pytest.fixture
def read_only() -> Callable[[Path], tuple[str, ...]]:
    """A command prefix that runs its command with `path` mounted read-only (bubblewrap).

    Root ignores file permissions, so a read-only directory needs a read-only mount.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        pytest.skip("bubblewrap is not installed: no read-only mount to test with")
    probe = subprocess.run(
        [bwrap, "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"bubblewrap cannot start here: {probe.stderr.strip()}")

    def prefix(path: Path) -> tuple[str, ...]:
        return (
            bwrap,
            "--bind",
            "/",
            "/",
            "--ro-bind",
            str(path),
            str(path),
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "--",
        )

    return prefix
