"""Helpers of the sandbox tests: the modes to run, what each guarantees, a toy task, host state.

Modes: `bwrap`; `rlimits` (as root: the jail, candidate and checker on uids of their
own); `rlimits-uid` (root only: rlimits where the jail cannot be built, forced here:
own uids on the host's filesystem). A test of a guarantee that a mode does not claim
(README's isolation table) skips with the reason instead of passing by luck.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from evalspec.scoring.sandbox import CodeJob, Limits, Outcome, Sandbox, isolation, probe_bwrap
from evalspec.scoring.sandbox.cgroups import available

ROOT = os.geteuid() == 0
BWRAP_PROBLEM = probe_bwrap()
CGROUP_MEMORY = any(h.controller == "memory" for h in available())
MODES = [
    pytest.param(
        "bwrap",
        marks=pytest.mark.skipif(
            BWRAP_PROBLEM is not None, reason=f"bubblewrap unusable: {BWRAP_PROBLEM}"
        ),
    ),
    "rlimits",
    pytest.param("rlimits-uid", marks=pytest.mark.skipif(not ROOT, reason="root only")),
]

# guarantee -> the modes that claim it (README's table); as a user, rlimits claims none of
# the ones that need a uid or namespaces of its own
PRIVATE_VIEW = "bwrap", "rlimits" if ROOT else "bwrap"
CLAIMS: dict[str, tuple[str, ...]] = {
    "host files": PRIVATE_VIEW,  # the host's files are not there (read or write)
    "network": PRIVATE_VIEW,
    "capped writes": PRIVATE_VIEW,  # size-capped tmpfs for /tmp, the work dir, /dev/shm
    "host processes": ("bwrap", "rlimits", "rlimits-uid") if ROOT else ("bwrap",),
    "host user's files": ("bwrap", "rlimits", "rlimits-uid") if ROOT else ("bwrap",),
    "shared state": ("bwrap", "rlimits", "rlimits-uid") if ROOT else ("bwrap",),
}
NOT_CLAIMED = {
    "rlimits": "rlimits as a user runs samples with that user's rights",
    "rlimits-uid": "rlimits without the jail: own uids, but the host's filesystem and network",
}

ADD_TEST = (
    "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
)
CANONICAL = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return None\n"
FAST = Limits(timeout_s=1.5, memory_mib=256, max_procs=16, max_output_kib=64, max_file_kib=64)
# for jobs that must not time out on a loaded machine (canonical solutions after attacks)
ROOMY = Limits(timeout_s=6.0, memory_mib=256, max_procs=16, max_output_kib=64, max_file_kib=64)
USED_UIDS: set[int] = set()  # host uids of every pool the tests started


def require(mode: str, guarantee: str) -> None:
    """Skip unless `mode` claims `guarantee`."""
    if mode not in CLAIMS[guarantee]:
        pytest.skip(f"{mode} does not claim '{guarantee}': {NOT_CLAIMED.get(mode, '')}")


def job(code: str, test: str = ADD_TEST, entry_point: str = "add") -> CodeJob:
    return CodeJob(code=code, entry_point=entry_point, prelude="", test=test)


@contextlib.contextmanager
def level(mode: str) -> Iterator[isolation.Isolation]:
    """The isolation level of a mode (`rlimits-uid`: the jail probe says no)."""
    if mode != "rlimits-uid":
        yield "bwrap" if mode == "bwrap" else "rlimits"
        return
    original = isolation.probe_jail
    isolation.probe_jail = lambda: "forced off by the test"  # type: ignore[assignment]
    try:
        yield "rlimits"
    finally:
        isolation.probe_jail = original


@dataclass
class Run:
    outcomes: list[Outcome]
    label: str
    restarts: int


def run_jobs(mode: str, jobs: Sequence[CodeJob], limits: Limits = FAST, workers: int = 1) -> Run:
    """Run the jobs in one pool (`workers=1`: all in the same worker, in order)."""
    with level(mode) as isolation_level, Sandbox(isolation_level, limits, workers) as sandbox:
        USED_UIDS.update(sandbox.uids)
        outcomes = sandbox.run(jobs)
        return Run(outcomes, sandbox.label, sandbox.restarts)


def score_add(code: str, mode: str, limits: Limits = FAST, test: str = ADD_TEST) -> Outcome:
    """One full-module candidate for `add` in a one-worker pool."""
    if "def add" not in code:
        code += "\ndef add(a, b):\n    return None\n"
    return run_jobs(mode, [job(code, test)], limits).outcomes[0]


def attack(mode: str, code: str, test: str = ADD_TEST, limits: Limits = ROOMY) -> Outcome:
    """An attack, then the canonical solution in the same worker: the attack fails and the
    canonical solution still passes. The attack's outcome."""
    hostile, canonical = run_jobs(mode, [job(code, test), job(CANONICAL)], limits).outcomes
    assert canonical == Outcome(True), (
        f"the canonical solution failed after the attack: {canonical}"
    )
    assert not hostile.passed, "the attack passed"
    return hostile


def world_readable_dir() -> Path:
    """A fresh directory under /tmp any uid can read (removed by `host_dir` fixture users)."""
    path = Path("/tmp") / f"evalspec-host-{secrets.token_hex(6)}"
    path.mkdir(mode=0o755)
    path.chmod(0o755)
    return path


def leftover_processes() -> list[psutil.Process]:
    """Live processes of the pools' uids, and live children of this test process."""
    found = [c for c in psutil.Process().children(recursive=True) if c.is_running()]
    if USED_UIDS:
        for proc in psutil.process_iter(["uids", "status"]):
            uids = proc.info["uids"]
            if uids and uids.real in USED_UIDS and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
    return found


MARK = "evalspec-planted"  # every file, key and name an attack plants carries this
SYSV_KEY = 0x45564C53  # and SysV objects this key


@dataclass(frozen=True)
class HostState:
    """Global host state a sample must not change (hostname, sysctls)."""

    hostname: str
    sysctls: tuple[str, ...]

    @staticmethod
    def take() -> HostState:
        names = ("kernel/core_pattern", "kernel/hostname", "vm/overcommit_memory")
        return HostState(
            socket.gethostname(), tuple(Path(f"/proc/sys/{n}").read_text() for n in names)
        )


def host_effects() -> list[str]:
    """What the pools' uids or an attack's planted names left on the host (other programs
    on this machine may use /dev/shm and SysV IPC too: only ours count)."""
    found = []
    for kind in ("shm", "sem", "msg"):
        with open(f"/proc/sysvipc/{kind}") as handle:
            header, *rows = handle.read().splitlines()
        for row in rows:
            fields = dict(zip(header.split(), row.split(), strict=False))
            key, uid = int(fields["key"]), int(fields["uid"])
            if uid in USED_UIDS or key == SYSV_KEY:
                found.append(f"SysV {kind} {row.split()[1]} of uid {uid}")
    for directory in ("/dev/shm", "/tmp", "/var/tmp"):
        with os.scandir(directory) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    owner = entry.stat(follow_symlinks=False).st_uid
                    if MARK in entry.name or owner in USED_UIDS:
                        found.append(entry.path)
    return found
