"""Running the evalspec CLI as a user would, and reading its one-line errors.

In-process through click's runner (fast) unless the case needs a real process:
a wrapper command (a read-only mount, a umask) or signals.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from evalspec.cli import cli


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_evalspec(
    *args: str, cwd: Path, prefix: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> Ran:
    """`evalspec ARGS` run in `cwd` (with `env` added to the environment); behind `prefix`
    (a wrapper command) in a subprocess."""
    if prefix:
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "evalspec.cli", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        return Ran(proc.returncode, proc.stdout, proc.stderr)
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(cli, list(args), env=env)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # what `evalspec` (main) would print: a traceback and exit 3
        stderr += "".join(traceback.format_exception(result.exception))
        return Ran(3, result.stdout, stderr)
    return Ran(result.exit_code, result.stdout, stderr)


def error_line(ran: Ran, code: int) -> str:
    """The one line a user error prints, after checking the exit code and that no traceback."""
    assert ran.returncode == code, (ran.returncode, ran.stderr)
    assert "Traceback" not in ran.stderr, ran.stderr
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, ran.stderr
    return lines[0]
