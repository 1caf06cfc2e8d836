"""``monitor.svg``: a hand-written SVG line chart of the sampler's ticks over time.

One 0-100 % axis: GPU utilisation and GPU memory (% of total) when a GPU was
read, CPU %, and RSS as a share of its own peak; dashed lines mark where each
unit (or engine load) began.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from evalspec.paths import atomic_write_text

CHART_FILE = "monitor.svg"
WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 28, 64
COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")


def write_chart(ticks: Sequence[Mapping[str, Any]], path: Path) -> bool:
    """Write the chart; False (nothing written) with fewer than two ticks."""
    if len(ticks) < 2:
        return False
    atomic_write_text(path, render_chart(ticks))
    return True


def render_chart(ticks: Sequence[Mapping[str, Any]]) -> str:
    start = float(ticks[0]["t"])
    span = max(float(ticks[-1]["t"]) - start, 1e-9)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + (t - start) / span * plot_w

    def y(pct: float) -> float:
        return TOP + plot_h - max(0.0, min(pct, 100.0)) / 100 * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="16" font-size="13">evalspec monitor ({span:.0f} s)</text>',
    ]
    for pct in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(pct):.1f}" y2="{y(pct):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{LEFT - 4}" y="{y(pct) + 4:.1f}" text-anchor="end">{pct}%</text>'
        )
    previous: object = object()
    for tick in ticks:
        if tick.get("unit") != previous and tick.get("unit") is not None:
            at = x(float(tick["t"]))
            parts.append(
                f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{TOP}" y2="{TOP + plot_h}" '
                'stroke="#999" stroke-dasharray="3,3"/>'
                f'<text x="{at + 2:.1f}" y="{TOP + 10}" fill="#666" font-size="9">'
                f"{escape(str(tick['unit']))[:40]}</text>"
            )
        previous = tick.get("unit")
    legend_y = HEIGHT - BOTTOM + 34
    for i, (name, values) in enumerate(_series(ticks)):
        points = " ".join(
            f"{x(float(t['t'])):.1f},{y(v):.1f}"
            for t, v in zip(ticks, values, strict=True)
            if v is not None
        )
        colour = COLOURS[i % len(COLOURS)]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>'
        )
        lx = LEFT + i * 180
        parts.append(
            f'<rect x="{lx}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{legend_y}">{escape(name)}</text>'
        )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - BOTTOM + 16}" text-anchor="end">time →</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _series(ticks: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[float | None]]]:
    series: list[tuple[str, list[float | None]]] = []
    if any(t.get("gpus") for t in ticks):
        series.append(("GPU util %", [_gpu_util(t) for t in ticks]))
        series.append(("GPU memory % of total", [_gpu_memory(t) for t in ticks]))
    series.append(("CPU %", [float(t["cpu_pct"]) for t in ticks]))
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
