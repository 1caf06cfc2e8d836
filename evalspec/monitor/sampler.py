"""The sampler thread: one tick per interval (and one at each unit boundary), tagged with the unit.

Each tick is kept in memory and appended to ``monitor.jsonl`` in the run
directory: ``{"t", "unit", "node", "gpus": [GpuReading...], "cpu_pct", "rss_mib"}``
(each GPU by its NVML index on that node). ``record`` keeps readings taken elsewhere:
engine replicas on Ray nodes send theirs with their shards (``evalspec.monitor.replica``;
they add ``node_id`` and ``replica``).
``begin(label)`` takes a tick at once (the previous label's last) and tags later
ticks with ``label`` (a unit id, or ``load:<model>`` while an engine loads), so a
unit shorter than the interval still has a reading. ``stop()`` ends the thread
within one wait and takes the last tick.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evalspec.charts import preload as preload_charts
from evalspec.envsettings import seconds_from_env
from evalspec.monitor.readings import GpuReader, HostReader, load_nvml, node_name
from evalspec.monitor.unit_resources import unit_summary

INTERVAL_ENV = "EVALSPEC_MONITOR_INTERVAL_S"
DEFAULT_INTERVAL_S = 1.0
MAX_INTERVAL_S = 3600.0
MONITOR_FILE = "monitor.jsonl"

_REAL = object()  # "use the real pynvml" (None means: no NVML at all)


def interval_from_env() -> float:
    """``EVALSPEC_MONITOR_INTERVAL_S`` (seconds, above 0 and at most an hour), else 1 s."""
    return seconds_from_env(INTERVAL_ENV, DEFAULT_INTERVAL_S, "0.5", MAX_INTERVAL_S)


class Sampler:
    """Samples GPUs (NVML) and the host (psutil) on a daemon thread; summarises per unit."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        nvml: Any = _REAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.interval_s = interval_s
        self._path = path
        self._clock = clock
        self._gpus = GpuReader(load_nvml() if nvml is _REAL else nvml)
        self._host = HostReader()
        self._node = node_name()
        self._label: str | None = None
        self._ticks: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._open = True
        self._file = open(path, "a", encoding="utf-8") if path is not None else None  # noqa: SIM115

    @property
    def gpu_status(self) -> str:
        """The GPUs found (``NVIDIA H100 80GB HBM3``), or ``none (NVML: <reason>)``."""
        return self._gpus.status

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about monitoring."""
        return {
            "gpu": self.gpu_status,
            "gpus": list(self._gpus.names),
            "interval_s": self.interval_s,
            "file": MONITOR_FILE,
        }

    def start(self) -> None:
        if self._thread is not None:
            return
        preload_charts()  # monitor.svg is drawn when the run ends: load matplotlib meanwhile
        self._thread = threading.Thread(target=self._loop, name="evalspec-monitor", daemon=True)
        self._thread.start()

    def begin(self, label: str | None) -> None:
        """Tag later ticks with ``label``, after a tick now that closes the previous label."""
        with self._lock:
            if self._open and self._label is not None:
                self._tick_locked()
            self._label = label

    def tick(self) -> dict[str, Any]:
        """Take one reading now (the thread calls this every interval)."""
        with self._lock:
            return self._tick_locked() if self._open else {}

    def stop(self) -> None:
        """End the thread (returns within about one NVML read), take a last tick, close files."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            if not self._open:
                return
            self._tick_locked()  # closes the last label
            self._open = False
            if self._file is not None:
                self._file.close()
                self._file = None
            self._gpus.close()

    @property
    def ticks(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._ticks)

    def summary(self, unit_id: str) -> dict[str, Any]:
        """Resource use of one unit: peak GPU memory, GPU util/temperature/power, CPU, RSS."""
        return unit_summary(self.ticks, unit_id, self.gpu_status)

    def __enter__(self) -> Sampler:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval_s):
            self.tick()

    def record(self, ticks: Sequence[dict[str, Any]]) -> None:
        """Keep readings taken elsewhere (an engine replica on a Ray node), as they are."""
        with self._lock:
            if self._open:
                for tick in ticks:
                    self._keep_locked(tick)

    def _tick_locked(self) -> dict[str, Any]:
        tick = take_reading(self._gpus, self._host, self._label, self._clock(), self._node)
        self._keep_locked(tick)
        return tick

    def _keep_locked(self, tick: dict[str, Any]) -> None:
        self._ticks.append(tick)
        if self._file is not None:
            self._file.write(json.dumps(tick, sort_keys=True) + "\n")
            self._file.flush()


def take_reading(
    gpus: GpuReader, host: HostReader, label: str | None, now: float, node: str, **where: Any
) -> dict[str, Any]:
    """One monitor.jsonl reading: when, of which unit, on which node, each GPU, CPU, RSS
    (`where`: more about the place, e.g. the Ray node id and replica)."""
    cpu_pct, rss_mib = host.read()
    return {
        "t": round(now, 3),
        "unit": label,
        "node": node,
        **where,
        "gpus": [g.to_dict() for g in gpus.read()],
        "cpu_pct": cpu_pct,
        "rss_mib": rss_mib,
    }
