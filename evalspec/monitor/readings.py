"""One reading of the machine: per-GPU NVML values, system CPU% and the process tree's RSS.

NVML is reached through a module object (the real ``pynvml`` by default; tests
pass a stand-in with the same functions). Without a usable NVML the reader says
why in ``status`` (``none (NVML: <reason>)``) and reads no GPUs, never zeros.
"""

from __future__ import annotations

import contextlib
import importlib
import socket
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import psutil

MIB = 1024 * 1024


@dataclass(frozen=True)
class GpuReading:
    index: int
    util_pct: float
    mem_used_mib: float
    mem_total_mib: float
    temp_c: float | None
    power_w: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def node_name() -> str:
    """The machine a reading was taken on (every monitor.jsonl reading names it)."""
    return socket.gethostname()


def load_nvml() -> Any:
    """The real NVML bindings, or None when ``nvidia-ml-py`` is not installed."""
    try:
        return importlib.import_module("pynvml")
    except ImportError:
        return None


class GpuReader:
    """Per-GPU readings through an NVML module object; ``status`` says what was found.

    ``indices``: read only these GPUs (NVML indices: the ones a Ray replica was given);
    None reads every GPU of the machine."""

    def __init__(self, nvml: Any, indices: Sequence[int] | None = None) -> None:
        self._nvml = nvml
        self._handles: list[Any] = []
        self._indices: list[int] = []
        self.names: list[str] = []
        if nvml is None:
            self.status = "none (NVML: nvidia-ml-py is not installed)"
            return
        try:
            nvml.nvmlInit()
            count = int(nvml.nvmlDeviceGetCount())
            wanted = range(count) if indices is None else [i for i in indices if 0 <= i < count]
            self._indices = list(wanted)
            self._handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in self._indices]
            self.names = [_text(nvml.nvmlDeviceGetName(h)) for h in self._handles]
        except nvml.NVMLError as exc:
            self._handles, self.names = [], []
            self.status = f"none (NVML: {exc})"
            self._shutdown()
            self._nvml = None
            return
        if not self._handles:
            self.status = "none (NVML: no devices)"
            self._shutdown()
            self._nvml = None
            return
        self.status = _describe(self.names)

    @property
    def available(self) -> bool:
        return bool(self._handles)

    def read(self) -> list[GpuReading]:
        """One reading per GPU; a GPU whose reading fails is left out of this tick."""
        nvml = self._nvml
        readings: list[GpuReading] = []
        for index, handle in zip(self._indices, self._handles, strict=True):
            try:
                memory = nvml.nvmlDeviceGetMemoryInfo(handle)
                util = nvml.nvmlDeviceGetUtilizationRates(handle)
                readings.append(
                    GpuReading(
                        index=index,
                        util_pct=float(util.gpu),
                        mem_used_mib=round(memory.used / MIB, 1),
                        mem_total_mib=round(memory.total / MIB, 1),
                        temp_c=_optional(
                            nvml, nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU
                        ),
                        power_w=_milliwatts(_optional(nvml, nvml.nvmlDeviceGetPowerUsage, handle)),
                    )
                )
            except nvml.NVMLError:
                continue
        return readings

    def close(self) -> None:
        if self._handles:
            self._handles = []
            self._shutdown()

    def _shutdown(self) -> None:
        with contextlib.suppress(Exception):  # shutting down is best effort
            self._nvml.nvmlShutdown()


class HostReader:
    """System-wide CPU% (since the previous reading) and RSS of this process and its children."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        psutil.cpu_percent(interval=None)  # the first call only sets the reference point

    def read(self) -> tuple[float, float]:
        cpu = float(psutil.cpu_percent(interval=None))
        rss = 0
        for process in [self._process, *self._children()]:
            try:
                rss += process.memory_info().rss
            except psutil.Error:  # it ended between listing and reading
                continue
        return cpu, round(rss / MIB, 1)

    def _children(self) -> list[psutil.Process]:
        try:
            return list(self._process.children(recursive=True))
        except psutil.Error:
            return []


def _optional(nvml: Any, read: Any, *args: Any) -> float | None:
    """A reading some GPUs do not support (temperature, power): None instead of failing."""
    try:
        return float(read(*args))
    except nvml.NVMLError:
        return None


def _milliwatts(value: float | None) -> float | None:
    return round(value / 1000, 1) if value is not None else None


def _text(name: Any) -> str:
    return name.decode() if isinstance(name, bytes) else str(name)


def _describe(names: list[str]) -> str:
    counts = {name: names.count(name) for name in names}
    return ", ".join(f"{n} × {name}" if n > 1 else name for name, n in counts.items())
