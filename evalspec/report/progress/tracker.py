"""What a progress display knows about a run: each unit's outputs done, its rate and ETA,
the run's units done, and the latest resource reading, as words both displays share.

Rates count generated outputs only (cached ones arrive at once): tokens/s is the
engine's completion tokens over the engine time of the chunks so far, and the ETA is
the outputs left at the unit's generated-outputs rate, counted down from the last chunk
(and not shown once it ran out: a tail chunk can take as long as a full one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evalspec.monitor import Sampler
from evalspec.plan import Plan

MIB_PER_GIB = 1024


@dataclass
class UnitProgress:
    unit_id: str
    total: int  # outputs the unit needs (cached or generated)
    started: float
    done: int = 0
    cached: int = 0
    generated: int = 0
    tokens: int = 0  # completion tokens of the generated outputs
    engine_s: float = 0.0  # engine time of the generated chunks
    updated: float = 0.0  # when the last chunk arrived

    @property
    def tokens_per_s(self) -> float | None:
        return self.tokens / self.engine_s if self.tokens and self.engine_s > 0 else None

    def eta_s(self, now: float) -> float | None:
        """Seconds left (None until a generated chunk gives a rate, and again once the
        countdown ran out with outputs still missing: the estimate was wrong)."""
        left = self.total - self.done
        if left <= 0:
            return 0.0
        if not self.generated or self.engine_s <= 0:
            return None
        eta = left * self.engine_s / self.generated - (now - self.updated)
        return eta if eta > 0 else None


@dataclass
class RunProgress:
    """The state both displays render; `clock` is monotonic seconds."""

    clock: Callable[[], float] = time.monotonic
    planned: int = 0  # units in the plan
    finished: int = 0
    failed: int = 0
    started: float = 0.0
    units: dict[str, UnitProgress] = field(default_factory=dict)
    current: str | None = None
    sampler: Sampler | None = None

    def start(self, plan: Plan, sampler: Sampler | None) -> None:
        self.planned, self.sampler, self.started = len(plan.units), sampler, self.clock()

    def begin(self, unit_id: str, total: int) -> UnitProgress:
        self.current = unit_id
        unit = self.units[unit_id] = UnitProgress(unit_id, total, started=self.clock())
        return unit

    def add(
        self, unit_id: str, count: int, *, cached: bool, completion_tokens: int, wall_s: float
    ) -> UnitProgress:
        unit = self.units.get(unit_id) or self.begin(unit_id, count)
        unit.done += count
        if cached:
            unit.cached += count
        else:
            unit.generated += count
            unit.tokens += completion_tokens
            unit.engine_s += wall_s
            unit.updated = self.clock()
        return unit

    def finish(self, unit_id: str, error: bool) -> None:
        self.finished += 1
        self.failed += int(error)
        if self.current == unit_id:
            self.current = None

    def elapsed_s(self) -> float:
        return self.clock() - self.started

    def latest_tick(self) -> dict[str, Any] | None:
        if self.sampler is None:
            return None
        ticks = self.sampler.ticks
        return ticks[-1] if ticks else None

    def unit_status(self, unit: UnitProgress) -> str:
        """E.g. "12/20 outputs (4 cached), 15.2 tok/s, ETA 8 s"."""
        parts = [
            f"{unit.done}/{unit.total} outputs"
            + (f" ({unit.cached} cached)" if unit.cached else "")
        ]
        rate = unit.tokens_per_s
        if rate is not None:
            parts.append(f"{rate:.1f} tok/s")
        eta = unit.eta_s(self.clock())
        if eta is not None:
            parts.append(f"ETA {duration(eta)}")
        return ", ".join(parts)


def resources(tick: dict[str, Any] | None) -> str:
    """The latest reading: per GPU utilisation and memory, else the host's CPU and RSS."""
    if not tick:
        return ""
    gpus = tick.get("gpus") or []
    if gpus:
        return " · ".join(
            f"GPU{g['index']} {g['util_pct']:.0f}% "
            f"{g['mem_used_mib'] / MIB_PER_GIB:.1f}/{g['mem_total_mib'] / MIB_PER_GIB:.1f} GiB"
            for g in gpus
        )
    return f"CPU {tick.get('cpu_pct', 0):.0f}% · RSS {tick.get('rss_mib', 0) / MIB_PER_GIB:.2f} GiB"


def duration(seconds: float) -> str:
    """E.g. "8 s", "2 min 05 s", "1 h 02 min"."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def run_summary(progress: RunProgress) -> str:
    """The last line of a run, e.g. "4 units in 1 min 03 s (1 failed)"."""
    failed = f" ({progress.failed} failed)" if progress.failed else ""
    plural = "" if progress.finished == 1 else "s"
    return f"{progress.finished} unit{plural} in {duration(progress.elapsed_s())}{failed}"
