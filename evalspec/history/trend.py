"""`evalspec history --chart`: one trend line per model/task/metric over the runs' start times.

Each line has its 95% band (value ± 1.96 standard errors), the baseline the latest run
was gated against as a dashed line of the same colour (its run ringed when it is on the
chart), and failing runs (the metric's verdict FAIL) crossed out in red.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evalspec.charts import ChartInfo, Series, line_chart
from evalspec.history.query import HistoryRow

Z95 = 1.959964


def trend_chart(rows: Sequence[HistoryRow], path: Path, title: str) -> ChartInfo:
    """Draw the rows (oldest first) to a PNG or SVG file."""
    grouped: dict[str, list[HistoryRow]] = {}
    for row in rows:
        if row.value is not None:
            grouped.setdefault(row.series, []).append(row)
    return line_chart(
        path,
        [_series(label, points) for label, points in grouped.items()],
        title=title,
        ylabel="metric value",
        xlabel="run started (UTC)",
    )


def _series(label: str, points: list[HistoryRow]) -> Series:
    latest = next((p for p in reversed(points) if p.baseline is not None), None)
    reference_at = None
    if latest is not None and latest.baseline_run is not None:
        reference_at = next(
            (i for i, p in enumerate(points) if p.run_id == latest.baseline_run), None
        )
    return Series(
        label=label,
        x=[p.started for p in points],
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
