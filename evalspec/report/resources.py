"""The report's "Resources" lines: each unit's monitor summary (GPU, CPU, RSS) in words.

The summaries are the monitor keys of the run's perf dicts (see
evalspec.monitor.unit_resources). When every unit saw the same GPUs, they are named
once on the first line; a run without a GPU says ``GPU: none (NVML: …)`` and
shows no GPU numbers. Then one line per node and GPU (a Ray run spreads over
several): its peak memory and mean utilisation over the units that used it.
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
    lines.extend(device_lines(monitored))
    lines.append(CHART_LINE)
    return lines


def device_lines(perf: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per node and GPU, over every unit that used it."""
    peaks: dict[tuple[str, str, int], float] = {}
    utils: dict[tuple[str, str, int], list[float]] = {}
    units: dict[tuple[str, str, int], list[str]] = {}
    for unit_id, measured in perf.items():
        for device in measured.get("devices") or []:
            key = (str(device["node"]), str(device.get("node_id") or ""), int(device["gpu"]))
            peaks[key] = max(peaks.get(key, 0.0), float(device["peak_memory_mib"]))
            utils.setdefault(key, []).append(float(device["util_mean_pct"]))
            units.setdefault(key, []).append(unit_id)
    hosts: dict[str, set[str]] = {}
    for node, node_id, _ in peaks:
        hosts.setdefault(node, set()).add(node_id)
    lines = []
    for key in sorted(peaks):
        node, node_id, gpu = key
        where = f"{node} [{node_id[:8]}]" if len(hosts[node]) > 1 else node
        util = sum(utils[key]) / len(utils[key])
        lines.append(
            f"{where} GPU {gpu}: peak memory {peaks[key]:,.0f} MiB, util mean {util:.0f}% "
            f"({len(units[key])} unit(s))"
        )
    return lines


# (summary key, how it reads) in report order; a key the monitor did not measure is left out
GPU_FIELDS = (
    ("peak_gpu_memory_mib", "peak GPU memory {:,.0f} MiB"),
    ("gpu_util_mean_pct", "GPU util mean {:.0f}%"),
    ("gpu_temp_max_c", "temperature max {:.0f} °C"),
    ("gpu_power_mean_w", "power mean {:.0f} W"),
)
HOST_FIELDS = (
    ("cpu_pct_mean", "CPU mean {:.0f}%"),
    ("peak_rss_mib", "peak RSS {:,.0f} MiB"),
)


def _gpu_parts(m: Mapping[str, Any]) -> list[str]:
    return _parts(m, GPU_FIELDS)


def _host_parts(m: Mapping[str, Any]) -> list[str]:
    return _parts(m, HOST_FIELDS)


def _parts(m: Mapping[str, Any], fields: tuple[tuple[str, str], ...]) -> list[str]:
    return [text.format(m[key]) for key, text in fields if m.get(key) is not None]
