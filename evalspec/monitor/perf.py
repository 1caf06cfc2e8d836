"""Throughput and latency accounting per unit, from the engine's batch stats and completions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from evalspec.engines import BatchStats, Completion


@dataclass(frozen=True)
class UnitPerf:
    wall_s: float
    prompt_tokens: int
    completion_tokens: int
    tokens_per_s: float
    latency_p50_s: float | None
    latency_p95_s: float | None
    engine_load_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def unit_perf(
    stats: BatchStats, completions: Sequence[Completion], engine_load_s: float | None
) -> UnitPerf:
    latencies = sorted(c.latency_s for c in completions if c.latency_s is not None)
    return UnitPerf(
        wall_s=round(stats.wall_s, 3),
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        tokens_per_s=round(stats.tokens_per_s, 2),
        latency_p50_s=_quantile(latencies, 0.50),
        latency_p95_s=_quantile(latencies, 0.95),
        engine_load_s=round(engine_load_s, 2) if engine_load_s is not None else None,
    )


def _quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank quantile; None without values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return round(sorted_values[rank - 1], 3)
