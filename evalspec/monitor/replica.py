"""Readings inside an engine replica (a Ray actor): its own GPUs and host while it runs a shard.

A replica reads only the GPUs it was given (their NVML indices on its node) and its own
process tree's RSS; each reading names the node (host name and Ray node id) and the
replica, and is tagged with the unit whose shard was running. The readings travel back
with the shard's results and the driver's sampler keeps them (`Sampler.record`), so
monitor.jsonl holds every node's readings and the unit summaries cover them.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from evalspec.monitor.readings import GpuReader, HostReader, load_nvml, node_name
from evalspec.monitor.sampler import take_reading

_REAL = object()


class ReplicaProbe:
    """Takes readings of one replica's GPUs and host, on a thread while a shard runs."""

    def __init__(
        self,
        replica: str,
        node_id: str,
        gpu_indices: Sequence[int] | None,
        interval_s: float,
        *,
        nvml: Any = _REAL,
    ) -> None:
        self.replica, self.node_id, self.interval_s = replica, node_id, interval_s
        self.node = node_name()
        # no GPU given (a CPU replica): read none rather than the whole machine's
        indices = list(gpu_indices) if gpu_indices is not None else []
        self._gpus = GpuReader(load_nvml() if nvml is _REAL else nvml, indices)
        self._host = HostReader()

    @property
    def gpu_status(self) -> str:
        return self._gpus.status

    @contextlib.contextmanager
    def during(self, label: str) -> Iterator[list[dict[str, Any]]]:
        """Readings at the start, every interval and at the end of the block."""
        ticks: list[dict[str, Any]] = [self.read(label)]
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(self.interval_s):
                ticks.append(self.read(label))

        thread = threading.Thread(target=loop, name="evalspec-replica-monitor", daemon=True)
        thread.start()
        try:
            yield ticks
        finally:
            stop.set()
            thread.join(timeout=5)
            ticks.append(self.read(label))

    def read(self, label: str) -> dict[str, Any]:
        return take_reading(
            self._gpus,
            self._host,
            label,
            time.time(),
            self.node,
            node_id=self.node_id,
            replica=self.replica,
        )

    def close(self) -> None:
        self._gpus.close()
