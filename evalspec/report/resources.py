"""The report's "Resources" lines: each unit's monitor summary (GPU, CPU, RSS) in words.

The summaries are the monitor keys of the run's perf dicts (see
evalspec.monitor.summary). When every unit saw the same GPUs, they are named
once on the first line; a run without a GPU says ``GPU: none (NVML: …)`` and
shows no GPU numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CHART_LINE = "Chart: `monitor.svg` in the run directory; every sample in `monitor.jsonl`."


def resource_lines(perf: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per monitored unit (after a GPU line when all agree); empty without any."""
    monitored = {uid: m for uid, m in perf.items() if "gpu" in m}
    if not monitored:
        return []
    statuses = {str(m["gpu"]) for m in monitored.values()}
    shared = len(statuses) == 1
    lines = [f"GPU: {statuses.pop()}"] if shared else []
    for unit_id, measured in monitored.items():
        parts = [] if shared else [f"GPU {measured['gpu']}"]
        parts.extend(_gpu_parts(measured))
        parts.extend(_host_parts(measured))
        lines.append(f"`{unit_id}`: " + (", ".join(parts) or "no samples"))
    lines.append(CHART_LINE)
    return lines


def _gpu_parts(m: Mapping[str, Any]) -> list[str]:
    parts = []
    if m.get("peak_gpu_memory_mib") is not None:
        parts.append(f"peak GPU memory {m['peak_gpu_memory_mib']:,.0f} MiB")
    if m.get("gpu_util_mean_pct") is not None:
        parts.append(f"GPU util mean {m['gpu_util_mean_pct']:.0f}%")
    if m.get("gpu_temp_max_c") is not None:
        parts.append(f"temperature max {m['gpu_temp_max_c']:.0f} °C")
    if m.get("gpu_power_mean_w") is not None:
        parts.append(f"power mean {m['gpu_power_mean_w']:.0f} W")
    return parts


def _host_parts(m: Mapping[str, Any]) -> list[str]:
    parts = []
    if m.get("cpu_pct_mean") is not None:
        parts.append(f"CPU mean {m['cpu_pct_mean']:.0f}%")
    if m.get("peak_rss_mib") is not None:
        parts.append(f"peak RSS {m['peak_rss_mib']:,.0f} MiB")
    return parts
