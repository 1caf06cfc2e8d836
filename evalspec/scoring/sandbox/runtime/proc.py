"""Process set-up shared by candidate and checker: descriptors, uid drop, resource limits."""

from __future__ import annotations

import ctypes
import fcntl
import os
import resource
import signal
from typing import Any

LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
SETUP_FAILED = 120


def keep_fds(stdio: tuple[int, int, int], keep: list[int]) -> None:
    """Make `keep` fds 3, 4, ... and stdio 0-2; close every other descriptor."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 256) for fd in keep]
    std = [fcntl.fcntl(fd, fcntl.F_DUPFD, 256) for fd in stdio]
    for target, fd in enumerate(std):
        os.dup2(fd, target)
    for index, fd in enumerate(high):
        os.dup2(fd, 3 + index)
    os.closerange(3 + len(keep), 1 << 16)


def drop_to(uid: int | None) -> None:
    """Become `uid` (no groups, no capabilities, no way back, no set-uid gains)."""
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise OSError(f"could not drop to uid {uid}")
    LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    # a uid change resets both: no ptrace or /proc/<pid>/{fd,mem} from others; die with the server
    LIBC.prctl(PR_SET_DUMPABLE, 0)
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def user_process_count(uid: int) -> int:
    """Processes running as `uid` (a /proc/<pid> directory belongs to the process's
    effective uid, non-dumpable or not)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                count += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                continue
    return count


def set_limits(config: dict[str, Any], nproc: int | None, fsize: int) -> None:
    limits = [
        (resource.RLIMIT_AS, config["memory_bytes"]),
        (resource.RLIMIT_FSIZE, fsize),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, config["open_files"]),
        (resource.RLIMIT_MSGQUEUE, 0),  # no POSIX message queues: no state across jobs
        (resource.RLIMIT_CPU, config["cpu_s"]),
    ]
    if nproc is not None:
        limits.append((resource.RLIMIT_NPROC, nproc))
    for key, value in limits:
        # CPU: SIGXCPU at the limit ("cpu time limit"), SIGKILL a second later if ignored
        hard = value + 1 if key == resource.RLIMIT_CPU else value
        resource.setrlimit(key, (value, hard))
