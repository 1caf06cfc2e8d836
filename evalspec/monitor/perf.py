"""Throughput and latency accounting per unit, from the engine's batch stats and completions.

A unit's `UnitPerf` says what was measured and on how many outputs. Outputs taken
from the response cache cost nothing and are not measured: a fully cached unit has
``cached: true`` and no throughput; a partly cached unit (a resumed run) measures
only the outputs it generated, in smaller batches than a full run would, so its
``tokens_per_s`` and latencies are marked ``partial`` (``measured_outputs`` of
``measured_outputs + cached_outputs``) and the perf gate does not judge them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from evalspec.engines import BatchStats, Completion


class DeviceSummary(BaseModel):
    """One GPU's part in a unit: where it is, its peak memory and mean utilisation."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    node: str
    node_id: str | None = None  # the Ray node id (host names can repeat)
    gpu: int  # NVML index on that node
    peak_memory_mib: float
    util_mean_pct: float


class UnitPerf(BaseModel):
    """One unit's measurements: engine counters, and the monitor's resource summary."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    wall_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tokens_per_s: float | None = None
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None
    engine_load_s: float | None = None
    cached: bool = False  # every output came from the cache: nothing was measured
    cached_outputs: int = 0
    measured_outputs: int = 0
    # the monitor's summary of the unit (monitor.unit_resources.RESOURCE_KEYS)
    gpu: str | None = None
    peak_gpu_memory_mib: float | None = None
    gpu_util_mean_pct: float | None = None
    gpu_temp_max_c: float | None = None
    gpu_power_mean_w: float | None = None
    cpu_pct_mean: float | None = None
    peak_rss_mib: float | None = None
    monitor_samples: int | None = None
    devices: list[DeviceSummary] | None = None  # per node and GPU

    @model_serializer(mode="wrap")
    def _measured_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Written without the measures that were not taken (None)."""
        return {k: v for k, v in handler(self).items() if v is not None}

    @property
    def partial(self) -> bool:
        """Some outputs came from the cache: throughput and latency cover only the rest."""
        return not self.cached and self.cached_outputs > 0

    def as_dict(self) -> dict[str, Any]:
        """The measures that were taken (None left out), for the gate and the reports."""
        return self.model_dump()


def unit_perf(
    stats: BatchStats,
    completions: Sequence[Completion],
    engine_load_s: float | None,
    *,
    cached_outputs: int = 0,
    generated_tokens: bool = True,
) -> UnitPerf:
    """The perf of the `completions` a unit generated (`cached_outputs` more came from the
    cache). generated_tokens=False: log-likelihood scoring, no throughput or latency."""
    latencies = sorted(c.latency_s for c in completions if c.latency_s is not None)
    return UnitPerf(
        wall_s=round(stats.wall_s, 3),
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        tokens_per_s=round(stats.tokens_per_s, 2) if generated_tokens else None,
        latency_p50_s=_quantile(latencies, 0.50) if generated_tokens else None,
        latency_p95_s=_quantile(latencies, 0.95) if generated_tokens else None,
        engine_load_s=round(engine_load_s, 2) if engine_load_s is not None else None,
        cached_outputs=cached_outputs,
        measured_outputs=len(completions),
    )


def cached_perf(cached_outputs: int) -> UnitPerf:
    """A unit whose outputs all came from the cache: nothing ran, nothing was measured."""
    return UnitPerf(cached=True, cached_outputs=cached_outputs)


def _quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank quantile; None without values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return round(sorted_values[rank - 1], 3)
