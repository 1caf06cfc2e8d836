"""Running one Python program in a child process with rlimits and a wall-clock timeout.

This is the plain subprocess runner (no filesystem or network isolation); a sandboxed
runner implements the same `Runner` protocol and replaces it.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

ADDRESS_SPACE_BYTES = 2 << 30
FILE_SIZE_BYTES = 16 << 20
OPEN_FILES = 256
TAIL_BYTES = 8192

# Set by the program itself before any candidate code runs (soft = hard, so the candidate
# cannot raise them); avoids preexec_fn, which is unsafe with worker threads.
LIMITS_PRELUDE = """\
import resource as _r
for _k, _v in {limits!r}:
    try:
        _r.setrlimit(_k, (_v, _v))
    except (ValueError, OSError):
        pass
del _r, _k, _v
"""


@dataclass(frozen=True)
class ExecResult:
    returncode: int | None  # None when killed for the wall-clock timeout
    stdout_tail: str
    stderr_tail: str
    timed_out: bool


class Runner(Protocol):
    def run(self, program: str, timeout_s: float) -> ExecResult: ...


def limits_prelude(timeout_s: float) -> str:
    """Python source that caps address space, file size, CPU time, core dumps, open files."""
    limits = (
        (int(resource.RLIMIT_AS), ADDRESS_SPACE_BYTES),
        (int(resource.RLIMIT_FSIZE), FILE_SIZE_BYTES),
        (int(resource.RLIMIT_CPU), math.ceil(timeout_s) + 1),
        (int(resource.RLIMIT_CORE), 0),
        (int(resource.RLIMIT_NOFILE), OPEN_FILES),
    )
    return LIMITS_PRELUDE.format(limits=limits)


def with_limits(program: str, timeout_s: float) -> str:
    """The program with the limits prelude after its leading `from __future__` lines."""
    lines = program.splitlines(keepends=True)
    head = 0
    while head < len(lines) and lines[head].startswith("from __future__ import"):
        head += 1
    return "".join(lines[:head]) + limits_prelude(timeout_s) + "".join(lines[head:])


def _tail(path: Path) -> str:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - TAIL_BYTES))
        return handle.read().decode("utf-8", errors="replace")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class SubprocessRunner:
    """`python -I -S program.py` in a fresh temp dir and its own session.

    stdin is /dev/null; stdout and stderr go to files (capped by RLIMIT_FSIZE) of which
    the last 8 KiB are read back; the whole process group is killed when the program ends
    or times out. -S leaves site-packages out: candidates get the standard library only,
    so results do not depend on what else the evaluating environment has installed.
    """

    def run(self, program: str, timeout_s: float) -> ExecResult:
        with tempfile.TemporaryDirectory(
            prefix="evalspec-exec-", ignore_cleanup_errors=True
        ) as tmp:
            work = Path(tmp)
            script = work / "program.py"
            script.write_text(with_limits(program, timeout_s), encoding="utf-8")
            out_path, err_path = work / ".stdout", work / ".stderr"
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "LANG": "C.UTF-8"}
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", str(script)],
                    cwd=work,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                )
                timed_out = False
                try:
                    proc.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    timed_out = True
                finally:
                    _kill_group(proc.pid)  # also reaps children left running in the session
                    proc.wait()
            return ExecResult(
                returncode=None if timed_out else proc.returncode,
                stdout_tail=_tail(out_path),
                stderr_tail=_tail(err_path),
                timed_out=timed_out,
            )
