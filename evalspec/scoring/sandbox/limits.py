"""Per-sample resource limits of the code sandbox and their translation into server config."""

from __future__ import annotations

import math
from dataclasses import dataclass

OPEN_FILES = 64
TMPFS_EXTRA_BYTES = 16 << 20
SHM_BYTES = 16 << 20


@dataclass(frozen=True)
class Limits:
    """What one sample may use. Wall time covers loading the candidate and all test calls."""

    timeout_s: float = 10.0  # wall clock, per sample
    cpu_s: float | None = None  # CPU seconds per process (RLIMIT_CPU); None: timeout_s + 1
    # address space per process (RLIMIT_AS); with a cgroup also the sample's total memory
    memory_mib: int = 2048
    # processes/threads the candidate may add (RLIMIT_NPROC; with a cgroup, pids.max)
    max_procs: int = 16
    max_output_kib: int = 1024  # stdout + stderr together; the candidate is killed past it
    max_file_kib: int = 16384  # largest file it may write (RLIMIT_FSIZE)

    @property
    def cpu_seconds(self) -> int:
        """The RLIMIT_CPU backstop. By default one second past the wall-clock limit, so a
        busy loop is stopped (and reported) by the wall-clock watchdog, not by a race
        between the two limits."""
        if self.cpu_s is not None:
            return max(1, math.ceil(self.cpu_s))
        return math.ceil(self.timeout_s) + 1

    @property
    def tmpfs_bytes(self) -> int:
        """Size of the private /tmp (work dir included) under bwrap and the root jail."""
        return 2 * (self.max_file_kib << 10) + TMPFS_EXTRA_BYTES

    @property
    def shm_bytes(self) -> int:
        """Size of the private /dev/shm under bwrap and the root jail."""
        return SHM_BYTES

    def server_config(self) -> dict[str, int | float]:
        """The limit part of the fork server's JSON config."""
        return {
            "timeout_s": self.timeout_s,
            "cpu_s": self.cpu_seconds,
            "memory_bytes": self.memory_mib << 20,
            "max_procs": self.max_procs,
            "output_bytes": self.max_output_kib << 10,
            "file_bytes": self.max_file_kib << 10,
            "open_files": OPEN_FILES,
        }
