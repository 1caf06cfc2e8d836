"""``monitor.svg``: the sampler's ticks over time, drawn by the shared chart module.

One 0-100 % axis: GPU utilisation and GPU memory (% of total) when a GPU was read,
CPU %, and RSS as a share of its own peak; dashed vertical lines mark where each unit
(or engine load) began.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evalspec.charts import ChartInfo, Marker, Series, line_chart

CHART_FILE = "monitor.svg"


def write_chart(ticks: Sequence[Mapping[str, Any]], path: Path) -> ChartInfo | None:
    """Write the chart; None (nothing written) with fewer than two ticks."""
    if len(ticks) < 2:
        return None
    start = float(ticks[0]["t"])
    xs = [float(t["t"]) - start for t in ticks]
    markers: list[Marker] = []
    previous: object = object()
    for x, tick in zip(xs, ticks, strict=True):
        unit = tick.get("unit")
        if unit is not None and unit != previous:
            markers.append(Marker(x, str(unit)))
        previous = unit
    series = [Series(label, xs, values) for label, values in _series(ticks)]
    return line_chart(
        path,
        series,
        title=f"evalspec monitor ({xs[-1]:.0f} s)",
        ylabel="%",
        xlabel="time (s)",
        ylim=(0, 105),
        markers=markers,
    )


def _series(ticks: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[float | None]]]:
    series: list[tuple[str, list[float | None]]] = []
    if any(t.get("gpus") for t in ticks):
        series.append(("GPU util %", [_gpu_util(t) for t in ticks]))
        series.append(("GPU memory % of total", [_gpu_memory(t) for t in ticks]))
    series.append(("CPU %", [min(float(t["cpu_pct"]), 100.0) for t in ticks]))
    peak = max(float(t["rss_mib"]) for t in ticks) or 1.0
    series.append(
        (f"RSS (100% = {peak:,.0f} MiB)", [float(t["rss_mib"]) / peak * 100 for t in ticks])
    )
    return series


def _gpu_util(tick: Mapping[str, Any]) -> float | None:
    gpus = tick.get("gpus") or []
    return sum(g["util_pct"] for g in gpus) / len(gpus) if gpus else None


def _gpu_memory(tick: Mapping[str, Any]) -> float | None:
    gpus = tick.get("gpus") or []
    total = sum(g["mem_total_mib"] for g in gpus)
    return sum(g["mem_used_mib"] for g in gpus) / total * 100 if total else None
