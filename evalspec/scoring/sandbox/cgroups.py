"""Per-sample limits across processes: one job cgroup per sandbox worker (memory, pids).

Where evalspec runs as root and the kernel offers the memory and pids controllers
(cgroup v2 at the hierarchy's root, or v1 hierarchies), each worker gets a cgroup that
only the current sample's candidate processes join (they write "0" into a cgroup.procs
descriptor the host opened, before any untrusted code runs): `memory.max` caps their
total memory (tmpfs and SysV pages they write included) and `pids.max` their processes
and threads together. Elsewhere the limits stay per process (rlimits) and the label says
so. The host checks after every job that the cgroup is empty.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

POOL_PREFIX = "evalspec-sandbox-"
RMDIR_TRIES = 100


@dataclass(frozen=True)
class Hierarchy:
    """Where one controller's cgroups live: the directory new cgroups go under."""

    controller: str  # "memory" or "pids"
    version: int
    base: Path


def _mounts() -> list[tuple[str, str, str]]:
    """(mount point, fs type, super options) of the cgroup filesystems."""
    found = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            left, _, right = line.partition(" - ")
            fstype, _, options = right.split()[:3]
            if fstype in ("cgroup", "cgroup2"):
                found.append((left.split()[4], fstype, options))
    return found


def _own_path(controller: str | None) -> str:
    """This process's cgroup path in the v1 hierarchy of `controller` (None: v2)."""
    with open("/proc/self/cgroup") as handle:
        for line in handle:
            _, names, path = line.rstrip("\n").split(":", 2)
            if (controller is None and names == "") or controller in names.split(","):
                return path
    return "/"


def _v2() -> list[Hierarchy] | None:
    for mount, fstype, _ in _mounts():
        if fstype != "cgroup2":
            continue
        root = Path(mount)
        try:
            available = (root / "cgroup.controllers").read_text().split()
            if not {"memory", "pids"} <= set(available):
                continue
            (root / "cgroup.subtree_control").write_text("+memory +pids")
        except OSError:
            continue
        return [Hierarchy(c, 2, root) for c in ("memory", "pids")]
    return None


def _v1() -> list[Hierarchy]:
    found = []
    for mount, fstype, options in _mounts():
        if fstype != "cgroup":
            continue
        for controller in ("memory", "pids"):
            if controller in options.split(","):
                own = _own_path(controller).lstrip("/")
                base = Path(mount) / own
                if os.access(base, os.W_OK):
                    found.append(Hierarchy(controller, 1, base))
    return found


@functools.cache
def available() -> tuple[Hierarchy, ...]:
    """The controllers this process can give each sample (empty unless root)."""
    if os.geteuid() != 0:
        return ()
    try:
        return tuple(_v2() or _v1())
    except OSError:
        return ()


def describe(hierarchies: tuple[Hierarchy, ...]) -> str | None:
    """ "cgroup" when both memory and pids hold per sample, e.g. "cgroup(pids)" for one."""
    if not hierarchies:
        return None
    names = sorted(h.controller for h in hierarchies)
    return "cgroup" if names == ["memory", "pids"] else f"cgroup({','.join(names)})"


class JobCgroup:
    """One worker's cgroup for its current sample, in every available hierarchy."""

    def __init__(self, pool: str, index: int, memory_bytes: int, max_pids: int) -> None:
        self.paths: dict[Path, list[Hierarchy]] = {}  # v2: one directory, both controllers
        for hierarchy in available():
            parent = hierarchy.base / f"{POOL_PREFIX}{pool}"
            parent.mkdir(exist_ok=True)
            if hierarchy.version == 2:
                (parent / "cgroup.subtree_control").write_text("+memory +pids")
            path = parent / f"w{index}"
            path.mkdir(exist_ok=path in self.paths)
            self.paths.setdefault(path, []).append(hierarchy)
            self._limit(hierarchy, path, memory_bytes, max_pids)

    @staticmethod
    def _limit(hierarchy: Hierarchy, path: Path, memory_bytes: int, max_pids: int) -> None:
        if hierarchy.controller == "pids":
            (path / "pids.max").write_text(str(max_pids))
        elif hierarchy.version == 2:
            (path / "memory.max").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):  # no swap accounting: nothing to cap
                (path / "memory.swap.max").write_text("0")
        else:
            (path / "memory.limit_in_bytes").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):
                (path / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))

    def _memory(self) -> tuple[int, Path] | None:
        for path, hierarchies in self.paths.items():
            for hierarchy in hierarchies:
                if hierarchy.controller == "memory":
                    return hierarchy.version, path
        return None

    def join_fds(self) -> list[int]:
        """Descriptors of each cgroup.procs, opened here (root): writing "0" to one moves
        the writer in, whatever its uid (the kernel checks the opener's credentials)."""
        return [os.open(path / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) for path in self.paths]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.paths:
            with contextlib.suppress(OSError):
                found |= {int(p) for p in (path / "cgroup.procs").read_text().split()}
        return found

    def oom_kills(self) -> int:
        """How many processes the memory limit has killed in this cgroup so far."""
        memory = self._memory()
        if memory is not None:
            version, path = memory
            name = "memory.events" if version == 2 else "memory.oom_control"
            with contextlib.suppress(OSError, ValueError):
                for line in (path / name).read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        return 0

    def peak_bytes(self) -> int | None:
        """The most memory this cgroup's processes held together at any one time."""
        memory = self._memory()
        if memory is None:
            return None
        version, path = memory
        name = "memory.peak" if version == 2 else "memory.max_usage_in_bytes"
        with contextlib.suppress(OSError, ValueError):
            return int((path / name).read_text())
        return None

    def kill(self) -> None:
        """SIGKILL everything inside until it is empty (a backstop: the server kills first)."""
        for _ in range(RMDIR_TRIES):
            left = self.pids()
            if not left:
                return
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def close(self) -> None:
        self.kill()
        for path in self.paths:
            for _ in range(RMDIR_TRIES):  # a killed process leaves its cgroup a moment later
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # the pool's directory, once its last worker is gone


def new_pool_name() -> str:
    return f"{os.getpid()}-{secrets.token_hex(4)}"
