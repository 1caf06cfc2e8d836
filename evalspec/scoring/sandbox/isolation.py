"""Choosing the isolation level: probing bubblewrap once per process, its argv, the fallback.

`bwrap`: new user, PID, network, IPC, UTS and cgroup namespaces, no capabilities, an empty
root with only the OS and the Python installation bound read-only, private size-capped
/tmp and /dev/shm, the server as PID 1 (the candidate cannot kill it), dies with its
parent. `rlimits`: no namespaces (user namespaces refused, e.g. Ubuntu 24.04 runners):
rlimits, own session, process-group and descendant kill; when evalspec runs as root the
candidate gets an empty network namespace, and drops to an unprivileged uid of its own
where that uid can read the standard library.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Literal

from evalspec.errors import InfraError

Isolation = Literal["bwrap", "rlimits"]
Requested = Literal["auto", "bwrap", "rlimits"]
SANDBOX_UID = 65534
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
PROBE_TIMEOUT_S = 10.0


def python_executable() -> str:
    """The base interpreter (not a venv's): it runs with -I -S and the standard library only."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def _bind_args() -> list[str]:
    args: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    prefix = os.path.realpath(sys.base_prefix)
    if not any(prefix == d or prefix.startswith(d + "/") for d in SYSTEM_DIRS):
        args += ["--ro-bind", prefix, prefix]  # e.g. pyenv under $HOME: only the install
    return args


@functools.cache
def _help_text(bwrap: str) -> str:
    try:
        done = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout + done.stderr


def bwrap_argv(bwrap: str, tmpfs_bytes: int) -> list[str]:
    """bwrap's arguments up to and excluding the command it runs."""
    extra = ["--disable-userns"] if "--disable-userns" in _help_text(bwrap) else []
    size = str(tmpfs_bytes)
    return [
        bwrap,
        "--unshare-all",  # pid, net, ipc, uts, cgroup (+ user, required below)
        "--unshare-user",
        "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--cap-drop", "ALL",
        *extra,
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--clearenv",
        "--setenv", "LANG", "C.UTF-8",
        "--setenv", "HOME", "/tmp/work",
        "--setenv", "PATH", "/usr/bin:/bin",
        *_bind_args(),
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", size, "--tmpfs", "/tmp",
        "--size", size, "--tmpfs", "/dev/shm",
        "--chdir", "/tmp",
    ]  # fmt: skip


@functools.cache
def probe_bwrap() -> str | None:
    """None if bubblewrap works here (it really ran `true`), else why it does not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    argv = [*bwrap_argv(bwrap, 1 << 20), python_executable(), "-I", "-S", "-c", "pass"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap failed to start: {exc}"
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return f"bwrap refused to run: {lines[-1] if lines else f'exit {done.returncode}'}"
    return None


def resolve(requested: Requested) -> Isolation:
    """The isolation to use: `auto` is bwrap where it works, else rlimits; an explicit
    `bwrap` that does not work is an InfraError (exit 3)."""
    if requested == "rlimits":
        return "rlimits"
    problem = probe_bwrap()
    if problem is None:
        return "bwrap"
    if requested == "bwrap":
        raise InfraError(
            f"scorer code_exec asks for isolation 'bwrap' but {problem}; install bubblewrap, "
            "allow unprivileged user namespaces, or set isolation: rlimits"
        )
    return "rlimits"


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:  # resolve() said it works
        raise InfraError("bwrap disappeared from PATH")
    return path


def is_root() -> bool:
    return os.geteuid() == 0


@functools.cache
def stdlib_world_readable() -> bool:
    """Whether any uid can import the standard library (not so for a pyenv under /root)."""
    stdlib = Path(os.__file__).resolve().parent
    for directory in (stdlib, *stdlib.parents):
        if not directory.stat().st_mode & stat.S_IXOTH:
            return False
    return bool(stdlib.stat().st_mode & stat.S_IROTH)


def rlimits_drops_uid() -> bool:
    """Under rlimits, candidates run as an unprivileged uid of their own only when evalspec
    runs as root and that uid can still read the standard library."""
    return is_root() and stdlib_world_readable()


def server_source() -> str:
    return (Path(__file__).with_name("server.py")).read_text(encoding="utf-8")
