"""The sandbox pool: warm fork-server workers, one job each at a time, run in parallel.

Jobs go to free workers from a thread pool; each worker verifies itself after every job
and is replaced when it cannot (see worker.py). As root, every worker gets its own
unprivileged host uids from a block of 4096 that this pool draws at random.
"""

from __future__ import annotations

import queue
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType

from evalspec.scoring.sandbox import cgroups
from evalspec.scoring.sandbox.isolation import Isolation, new_uid_base, setup
from evalspec.scoring.sandbox.launch import Uids
from evalspec.scoring.sandbox.limits import Limits
from evalspec.scoring.sandbox.outcome import Outcome
from evalspec.scoring.sandbox.worker import Worker

MAX_WORKERS = 2048  # two uids each in the pool's block


@dataclass(frozen=True)
class CodeJob:
    """One sample: untrusted candidate code, and the trusted prelude + test that judge it."""

    code: str
    entry_point: str
    prelude: str
    test: str


class Sandbox:
    """A pool of `workers` warm fork servers; `run` scores jobs in parallel, in input order.

    `label` says what held for every job (e.g. "bwrap+cgroup"; see isolation.py)."""

    def __init__(self, isolation: Isolation, limits: Limits, workers: int) -> None:
        self.setup = setup(isolation)
        self.label = self.setup.label
        self.workers = min(max(1, workers), MAX_WORKERS)
        base = new_uid_base() if self.setup.as_root else None
        pool = cgroups.new_pool_name()
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: list[Worker] = []
        # one executor for the pool's life: workers are started (and restarted) on its
        # threads, and the parent-death signal of a child fires when its creating thread ends
        self._threads = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sandbox")

        def start(index: int) -> Worker:
            uids = None if base is None else Uids(base + 2 * index, base + 2 * index + 1)
            return Worker(self.setup, limits, index, uids, pool)

        try:
            for worker in self._threads.map(start, range(self.workers)):
                self._all.append(worker)
                self._idle.put(worker)
        except BaseException:
            self.close()
            raise

    @property
    def uids(self) -> set[int]:
        """The host uids this pool's sandboxed processes run as (empty unless root)."""
        return {u for w in self._all if w.uids for u in (w.uids.worker, w.uids.checker)}

    @property
    def restarts(self) -> int:
        """How many times a worker was replaced after a job it could not be verified clean."""
        return sum(w.restarts for w in self._all)

    def worker_pids(self) -> list[int]:
        """Host pids of the workers' processes (bwrap, or the server itself)."""
        return [w.proc.pid for w in self._all]

    def peak_bytes(self) -> int | None:
        """The most memory one sample's processes held together since the pool started
        (cgroup v1) or over the cgroup's life (v2); None without a memory cgroup."""
        peaks = [w.cgroup.peak_bytes() for w in self._all if w.cgroup]
        known = [p for p in peaks if p is not None]
        return max(known) if known else None

    def _run_one(self, job: CodeJob) -> Outcome:
        worker = self._idle.get()
        try:
            return worker.run(
                {"code": job.code, "entry_point": job.entry_point},
                {"prelude": job.prelude, "test": job.test, "entry_point": job.entry_point},
            )
        finally:
            self._idle.put(worker)

    def run(self, jobs: Sequence[CodeJob]) -> list[Outcome]:
        return list(self._threads.map(self._run_one, jobs))

    def close(self) -> None:
        for worker in self._all:
            worker.close()
        self._all.clear()
        self._threads.shutdown(wait=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
