"""Every chart evalspec draws (monitor.svg, `history --chart`): matplotlib (Agg), one style.

`line_chart` draws `Series` on one axis and writes PNG or SVG (by the file's suffix),
atomically. Each series may carry a confidence band, a dashed reference line (the
baseline), a ringed reference point (the baseline's own run) and crossed points
(failing runs); vertical markers label moments (a unit starting). In SVG every element
has an id (``series-<i>``, ``band-<i>``, ``baseline-<i>``, ``failing-<i>``, ``marker-<j>``)
and text stays text, so a chart can be read back; `ChartInfo` says what was drawn.

matplotlib is imported when a chart is drawn, never at evalspec's import.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from evalspec.files import atomic_write_bytes

FORMATS = (".png", ".svg")
# matplotlib's tab10: distinct, colour-blind-safe enough, and the colours people know
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
FAIL_COLOUR = "#d62728"
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "lines.linewidth": 1.8,
    "svg.fonttype": "none",  # text stays <text>: searchable, and smaller
    "svg.hashsalt": "evalspec",  # stable element ids: the same chart gives the same file
}
WIDTH_IN, HEIGHT_IN, DPI = 9.0, 4.0, 100
MARKED_POINTS = 60  # a series with more points is drawn as a plain line
MAX_TICKS = 10


@dataclass(frozen=True)
class Series:
    label: str
    x: Sequence[float]
    y: Sequence[float | None]  # None: no value at this x (a gap)
    band: tuple[Sequence[float | None], Sequence[float | None]] | None = None  # low, high
    reference: float | None = None  # a dashed horizontal line (the baseline's value)
    reference_at: int | None = None  # index of the point the reference was taken from
    failing: Sequence[int] = ()  # indices of points to cross out (failing runs)


@dataclass(frozen=True)
class Marker:
    x: float
    label: str


@dataclass(frozen=True)
class ChartInfo:
    path: Path
    series: list[str]  # labels, in drawing order (series-<i>)
    colours: list[str]  # each series' colour, hex
    size_px: tuple[int, int]  # width, height
    failing_points: int = 0
    markers: list[str] = field(default_factory=list)


@functools.cache
def preload() -> None:
    """Import matplotlib in a background thread, once: a chart drawn later (monitor.svg,
    when a run ends) finds it loaded instead of waiting for it."""
    threading.Thread(target=_import_matplotlib, name="evalspec-charts", daemon=True).start()


def _import_matplotlib() -> None:
    import matplotlib.backends.backend_agg
    import matplotlib.backends.backend_svg
    import matplotlib.figure  # noqa: F401


def line_chart(
    path: Path,
    series: Sequence[Series],
    *,
    title: str,
    ylabel: str,
    xlabel: str = "",
    ylim: tuple[float, float] | None = None,
    markers: Sequence[Marker] = (),
    xticks: Sequence[tuple[float, str]] = (),
) -> ChartInfo:
    """Draw and write the chart; ValueError for a suffix other than .png or .svg."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: a chart is .png or .svg, not {suffix or 'no suffix'!r}")
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    colours = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
    with matplotlib.rc_context(cast(Any, STYLE)):
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        failing = sum(_draw(axes, i, s, colours[i]) for i, s in enumerate(series))
        for j, marker in enumerate(markers):
            axes.axvline(
                marker.x,
                color="#999999",
                linestyle=(0, (3, 3)),
                linewidth=0.8,
                gid=f"marker-{j}",
            )
            axes.annotate(
                marker.label[:40],
                (marker.x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2),
                textcoords="offset points",
                fontsize=7,
                color="#666666",
                rotation=90,
                va="top",
            )
        axes.set_title(title, loc="left")
        axes.set_ylabel(ylabel)
        if xlabel:
            axes.set_xlabel(xlabel)
        if ylim is not None:
            axes.set_ylim(*ylim)
        if xticks:
            shown = _thinned(xticks)
            axes.set_xticks([x for x, _ in shown], [label for _, label in shown], fontsize=7)
        if series:
            axes.legend(handles=_legend(axes, series), loc="upper left", bbox_to_anchor=(1.01, 1.0))
        buffer = io.BytesIO()
        figure.savefig(buffer, format=suffix[1:], metadata=_metadata(suffix))
    atomic_write_bytes(path, buffer.getvalue())
    width, height = figure.canvas.get_width_height()
    return ChartInfo(
        path=path,
        series=[s.label for s in series],
        colours=colours,
        size_px=(int(width), int(height)),
        failing_points=failing,
        markers=[m.label for m in markers],
    )


def _draw(axes: Any, index: int, series: Series, colour: str) -> int:
    """One series with its band, reference and failing points; how many points failed."""
    xs = list(series.x)
    ys = [float("nan") if v is None else v for v in series.y]
    axes.plot(
        xs,
        ys,
        color=colour,
        marker="o" if len(xs) <= MARKED_POINTS else None,
        markersize=3,
        label=series.label,
        gid=f"series-{index}",
    )
    if series.band is not None:
        low, high = ([float("nan") if v is None else v for v in side] for side in series.band)
        axes.fill_between(xs, low, high, color=colour, alpha=0.15, linewidth=0, gid=f"band-{index}")
    if series.reference is not None:
        axes.axhline(
            series.reference,
            color=colour,
            linestyle=(0, (5, 3)),
            linewidth=1.0,
            alpha=0.8,
            gid=f"baseline-{index}",
        )
    if series.reference_at is not None and 0 <= series.reference_at < len(xs):
        at = series.reference_at
        axes.plot(
            [xs[at]],
            [ys[at]],
            linestyle="none",
            marker="o",
            markersize=9,
            markerfacecolor="none",
            markeredgecolor=colour,
            markeredgewidth=1.5,
            gid=f"baseline-run-{index}",
        )
    points = [i for i in series.failing if 0 <= i < len(xs)]
    if points:
        axes.plot(
            [xs[i] for i in points],
            [ys[i] for i in points],
            linestyle="none",
            marker="X",
            markersize=8,
            color=FAIL_COLOUR,
            markeredgecolor="white",
            markeredgewidth=0.6,
            gid=f"failing-{index}",
        )
    return len(points)


def _thinned(ticks: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    """At most MAX_TICKS labels, evenly spread, the last one always shown."""
    step = max(1, -(-len(ticks) // MAX_TICKS))
    return [t for i, t in enumerate(ticks) if (len(ticks) - 1 - i) % step == 0]


def _legend(axes: Any, series: Sequence[Series]) -> list[Any]:
    """The series, then a key to the marks that some series carry."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, _ = axes.get_legend_handles_labels()
    grey = "#555555"
    if any(s.band is not None for s in series):
        handles.append(Patch(color=grey, alpha=0.15, label="95% interval"))
    if any(s.reference is not None for s in series):
        handles.append(Line2D([], [], color=grey, linestyle=(0, (4, 2)), label="baseline"))
    if any(s.reference_at is not None for s in series):
        handles.append(
            Line2D(
                [],
                [],
                color=grey,
                linestyle="none",
                marker="o",
                markersize=9,
                markerfacecolor="none",
                label="baseline's run",
            )
        )
    if any(s.failing for s in series):
        handles.append(
            Line2D(
                [],
                [],
                color=FAIL_COLOUR,
                linestyle="none",
                marker="X",
                markersize=8,
                label="failing run",
            )
        )
    return list(handles)


def _metadata(suffix: str) -> dict[str, Any]:
    """No creation date in the file: the same data give the same bytes."""
    return {"Date": None} if suffix == ".svg" else {"Software": "evalspec (matplotlib)"}
