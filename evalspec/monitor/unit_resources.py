"""A unit's resource summary from the sampler's ticks (the keys join the unit's perf dict).

GPU keys appear only when a GPU was read: without one the summary says
``gpu: none (NVML: <reason>)`` and has no GPU numbers, never zeros.
``peak_gpu_memory_mib`` is the largest per-tick sum of used memory over the GPUs
(the key the gate's perf rules know), added up over the places that read them (the
driver, or each Ray replica: replicas run at once); util and temperature are over
all GPUs, power is the per-tick sum. ``devices`` summarises each GPU by node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import fmean
from typing import Any

# the keys unit_summary may add to a unit's perf dict, in the order reports show them
RESOURCE_KEYS = (
    "gpu",
    "peak_gpu_memory_mib",
    "gpu_util_mean_pct",
    "gpu_temp_max_c",
    "gpu_power_mean_w",
    "cpu_pct_mean",
    "peak_rss_mib",
    "monitor_samples",
    "devices",
)


def unit_summary(
    ticks: Sequence[Mapping[str, Any]], unit_id: str, gpu_status: str
) -> dict[str, Any]:
    mine = [t for t in ticks if t.get("unit") == unit_id]
    summary: dict[str, Any] = {"gpu": gpu_status, "monitor_samples": len(mine)}
    if not mine:
        return summary
    gpu_ticks = [t["gpus"] for t in mine if t.get("gpus")]
    if gpu_ticks:
        by_place: dict[Any, float] = {}
        for tick in mine:
            if tick.get("gpus"):
                place = (tick.get("node"), tick.get("replica"))
                used = sum(g["mem_used_mib"] for g in tick["gpus"])
                by_place[place] = max(by_place.get(place, 0.0), used)
        summary["peak_gpu_memory_mib"] = round(sum(by_place.values()), 1)
        summary["gpu_util_mean_pct"] = round(
            fmean(g["util_pct"] for gpus in gpu_ticks for g in gpus), 1
        )
        temps = [g["temp_c"] for gpus in gpu_ticks for g in gpus if g.get("temp_c") is not None]
        if temps:
            summary["gpu_temp_max_c"] = max(temps)
        powers = [
            sum(g["power_w"] for g in gpus)
            for gpus in gpu_ticks
            if all(g.get("power_w") is not None for g in gpus)
        ]
        if powers:
            summary["gpu_power_mean_w"] = round(fmean(powers), 1)
        summary["devices"] = device_summaries(mine)
    summary["cpu_pct_mean"] = round(fmean(t["cpu_pct"] for t in mine), 1)
    summary["peak_rss_mib"] = round(max(t["rss_mib"] for t in mine), 1)
    return summary


def device_summaries(ticks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per GPU (node, Ray node id, NVML index): peak memory and mean utilisation."""
    memory: dict[tuple[str, str, int], list[float]] = {}
    util: dict[tuple[str, str, int], list[float]] = {}
    for tick in ticks:
        for gpu in tick.get("gpus") or []:
            key = (str(tick.get("node") or ""), str(tick.get("node_id") or ""), int(gpu["index"]))
            memory.setdefault(key, []).append(float(gpu["mem_used_mib"]))
            util.setdefault(key, []).append(float(gpu["util_pct"]))
    return [
        {
            "node": node,
            "node_id": node_id or None,
            "gpu": index,
            "peak_memory_mib": round(max(memory[(node, node_id, index)]), 1),
            "util_mean_pct": round(fmean(util[(node, node_id, index)]), 1),
        }
        for node, node_id, index in sorted(memory)
    ]
