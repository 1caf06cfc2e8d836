"""`evalspec history --chart`: one trend line per model/task/metric over the runs, in order.

Runs are evenly spaced, oldest first, labelled with their start date and commit (runs
come when commits do, not at a steady pace). Each line has its 95% band (value ± 1.96
standard errors), the baseline the latest run was gated against as a dashed line of the
same colour (its run ringed when it is on the chart), and failing runs (the metric's
verdict FAIL) crossed out in red.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evalspec.charts import ChartInfo, Series, line_chart
from evalspec.history.query import HistoryRow

Z95 = 1.959964


def trend_chart(rows: Sequence[HistoryRow], path: Path, title: str) -> ChartInfo:
    """Draw the rows (oldest first) to a PNG or SVG file."""
    order: dict[str, int] = {}
    grouped: dict[str, list[HistoryRow]] = {}
    for row in rows:
        if row.run_id not in order:
            order[row.run_id] = len(order)
        if row.value is not None:
            grouped.setdefault(row.series, []).append(row)
    firsts = {row.run_id: row for row in reversed(rows)}
    return line_chart(
        path,
        [_series(label, points, order) for label, points in grouped.items()],
        title=title,
        ylabel="metric value",
        xlabel="runs, oldest first (start date UTC, commit)",
        xticks=[(float(order[run_id]), _tick(firsts[run_id])) for run_id in order],
    )


def _tick(row: HistoryRow) -> str:
    commit = (row.git_sha or "")[:7] + ("*" if row.git_dirty else "")
    return f"{row.started:%m-%d %H:%M}\n{commit}".rstrip()


def _series(label: str, points: list[HistoryRow], order: dict[str, int]) -> Series:
    latest = next((p for p in reversed(points) if p.baseline is not None), None)
    reference_at = None
    if latest is not None and latest.baseline_run is not None:
        reference_at = next(
            (i for i, p in enumerate(points) if p.run_id == latest.baseline_run), None
        )
    return Series(
        label=label,
        x=[float(order[p.run_id]) for p in points],
        y=[p.value for p in points],
        band=(
            [_edge(p, -1) for p in points],
            [_edge(p, +1) for p in points],
        ),
        reference=latest.baseline if latest is not None else None,
        reference_at=reference_at,
        failing=[i for i, p in enumerate(points) if p.status == "FAIL"],
    )


def _edge(point: HistoryRow, sign: int) -> float | None:
    if point.value is None or point.stderr is None:
        return None
    return point.value + sign * Z95 * point.stderr
