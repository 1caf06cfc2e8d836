"""A stand-in for the ``pynvml`` module: scripted per-GPU readings, one step per memory read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

MIB = 1024 * 1024


class NVMLError(Exception):
    pass


@dataclass
class Reading:
    used_mib: float
    util: int = 50
    temp: int = 60
    power_mw: int = 200_000


@dataclass
class StandInNvml:
    """Each GPU plays its script; the last reading repeats once the script runs out."""

    scripts: Sequence[Sequence[Reading]] = ()
    init_error: str | None = None
    total_mib: float = 80 * 1024
    NVMLError: type[Exception] = NVMLError
    NVML_TEMPERATURE_GPU: int = 0
    initialised: bool = False
    shut_down: bool = False
    _steps: dict[int, int] = field(default_factory=dict)

    def nvmlInit(self) -> None:
        if self.init_error is not None:
            raise NVMLError(self.init_error)
        self.initialised = True

    def nvmlShutdown(self) -> None:
        self.shut_down = True

    def nvmlDeviceGetCount(self) -> int:
        return len(self.scripts)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> bytes:
        return b"Stand-in GPU"

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> SimpleNamespace:
        step = self._steps.get(handle, 0)
        self._steps[handle] = step + 1
        return SimpleNamespace(
            used=int(self._now(handle, step).used_mib * MIB), total=int(self.total_mib * MIB)
        )

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> SimpleNamespace:
        return SimpleNamespace(gpu=self._current(handle).util, memory=0)

    def nvmlDeviceGetTemperature(self, handle: int, sensor: int) -> int:
        return self._current(handle).temp

    def nvmlDeviceGetPowerUsage(self, handle: int) -> int:
        return self._current(handle).power_mw

    def _current(self, handle: int) -> Reading:
        return self._now(handle, self._steps.get(handle, 1) - 1)

    def _now(self, handle: int, step: int) -> Reading:
        script = self.scripts[handle]
        return script[min(step, len(script) - 1)]
