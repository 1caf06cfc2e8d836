"""Choosing the isolation level: probing bubblewrap and the root jail once per process.

`auto` is bwrap where bubblewrap really runs here, as workers will run it, with its
guarantees checked from inside (probed once per process), else rlimits. README's
"Sandbox" section has the table of what each level guarantees as root and as a user.
The label recorded with every score names the level and what held: `+jail` (rlimits as
root: the server's own read-only filesystem view and namespaces), `+uid` (rlimits as root
where the jail cannot be built: own uids on the host's filesystem), `+cgroup` (memory and
pids per sample, across processes).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from evalspec.errors import InfraError
from evalspec.scoring.sandbox import cgroups
from evalspec.scoring.sandbox.interpreter import python_executable
from evalspec.scoring.sandbox.launch import bwrap_argv, plain_python, system_binds
from evalspec.scoring.sandbox.limits import Limits

Isolation = Literal["bwrap", "rlimits"]
Requested = Literal["auto", "bwrap", "rlimits"]
PROBE_TIMEOUT_S = 10.0
FIRST_UID = 0x40000000  # sandbox uids: far above any account's, unused by anything else
# run inside bwrap by the probe: every guarantee the level claims, checked from inside
BWRAP_CHECKS = """
import os
assert os.getuid() != 0, 'the sandbox user is root'
assert os.statvfs('/').f_flag & os.ST_RDONLY, 'the root is writable'
assert os.statvfs('/proc/sys').f_flag & os.ST_RDONLY, '/proc/sys is writable'
"""
# run after the jail's source: build it, then drop to an unprivileged uid inside it
JAIL_CHECK = """
import json, sys
root, binds, links, uid = json.loads(sys.argv[1])
enter(root, binds, links, 1 << 20, 1 << 20)
os.setgroups([])
os.setresgid(uid, uid, uid)
os.setresuid(uid, uid, uid)
import colorsys  # the standard library is readable for that uid
"""
# started as root like the server, then dropped like a candidate
UID_CHECK = """
import os, sys
uid = int(sys.argv[1])
os.setgroups([])
os.setresgid(uid, uid, uid)
os.setresuid(uid, uid, uid)
import colorsys  # the standard library is readable for that uid
"""


def is_root() -> bool:
    return os.geteuid() == 0


def new_uid_base() -> int:
    """The first of a fresh block of 4096 unused host uids (a pool's own)."""
    return FIRST_UID + secrets.randbelow(1 << 16) * 4096


def _run(argv: list[str], user: int | None = None) -> str | None:
    """None if `argv` (run as host `user`, if given) exits 0, else its last error line."""
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            cwd="/",
            user=user,
            group=user,
            extra_groups=None if user is None else [],
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"failed to start: {exc}"
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return lines[-1] if lines else f"exit {done.returncode}"
    return None


@functools.cache
def probe_bwrap() -> str | None:
    """None if bubblewrap works here as workers will run it, else why it does not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    argv = [*bwrap_argv(bwrap, Limits(), is_root()), python_executable(), "-I", "-S"]
    user = new_uid_base() if is_root() else None
    problem = _run([*argv, "-c", BWRAP_CHECKS], user)
    return None if problem is None else f"bwrap refused to run: {problem}"


@functools.cache
def probe_jail() -> str | None:
    """As root: None if the kernel lets the server build the rlimits jail, else why not."""
    if not is_root():
        return "not root"
    source = (Path(__file__).parent / "runtime" / "jail.py").read_text()
    binds, links = system_binds()
    with tempfile.TemporaryDirectory(prefix="evalspec-jail-probe-") as root:
        args = json.dumps([root, binds, links, new_uid_base()])
        return _run([python_executable(), "-I", "-S", "-c", source + JAIL_CHECK, args])


@functools.cache
def probe_uid_drop() -> str | None:
    """As root: None if the sandbox's Python runs as an unprivileged uid here (no jail)."""
    return _run([plain_python(True), "-I", "-S", "-c", UID_CHECK, str(new_uid_base())])


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


@dataclass(frozen=True)
class Setup:
    """How this process runs workers at one level: as root or not, jail, cgroups."""

    isolation: Isolation
    as_root: bool
    jail: bool
    cgroup: str | None  # e.g. "cgroup"; None: limits per process only

    @property
    def label(self) -> str:
        """What a score records: the level and what held (see the module docstring)."""
        parts: list[str] = [self.isolation]
        if self.isolation == "rlimits" and self.as_root:
            parts.append("jail" if self.jail else "uid")
        if self.cgroup:
            parts.append(self.cgroup)
        return "+".join(parts)


def setup(isolation: Isolation) -> Setup:
    """How workers run here; rlimits as root that cannot drop to another uid is refused."""
    root = is_root()
    jail = isolation == "rlimits" and root and probe_jail() is None
    if isolation == "rlimits" and root and not jail:
        problem = probe_uid_drop()
        if problem is not None:
            raise InfraError(
                "the code sandbox refuses to run samples as root: rlimits cannot build its "
                f"jail here ({probe_jail()}) nor run Python as an unprivileged uid "
                f"({problem}); install bubblewrap or run evalspec as an unprivileged user"
            )
    return Setup(isolation, root, jail, cgroups.describe(cgroups.available()))
