"""`evalspec history SPEC`: the query, its terminal table and (with --chart) its trend chart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from evalspec.charts import FORMATS, ChartInfo
from evalspec.errors import SpecError
from evalspec.history.index import HistoryIndex
from evalspec.history.query import HistoryQuery, HistoryRow, indexed_runs, query_history
from evalspec.history.table import history_table
from evalspec.history.trend import trend_chart

TABLE_RUNS = 100  # the table shows at most the latest 100 runs; a chart draws every run


@dataclass(frozen=True)
class HistoryView:
    spec: str
    path: Path  # the history index
    rows: list[HistoryRow]  # every row the query selected, oldest first
    table: Table  # the rows of the latest TABLE_RUNS runs
    indexed: int  # runs of the spec in the index
    chart: ChartInfo | None = None


def show_history(query: HistoryQuery, history: Path, chart: Path | None = None) -> HistoryView:
    """The spec's history from the index at `history`; the chart written when asked for."""
    if chart is not None and chart.suffix.lower() not in FORMATS:
        raise SpecError(f"--chart {chart}: the chart file must end in .png or .svg")
    with HistoryIndex(history, create=False) as index:
        rows = query_history(index, query)
        indexed = indexed_runs(index, query.spec)
    runs = list(dict.fromkeys(row.run_id for row in rows))
    title = f"{query.spec}: {len(runs)} run{'' if len(runs) == 1 else 's'} ({indexed} indexed)"
    shown = rows
    if len(runs) > TABLE_RUNS:
        latest = set(runs[-TABLE_RUNS:])
        shown = [row for row in rows if row.run_id in latest]
        title += f"; the table shows the last {TABLE_RUNS}" + (", the chart all" if chart else "")
    drawn = None
    if chart is not None and rows:
        try:
            drawn = trend_chart(rows, chart, f"{query.spec}: metrics over time")
        except OSError as exc:
            raise SpecError(f"--chart {chart}: cannot be written ({exc.strerror or exc})") from exc
    return HistoryView(query.spec, history, rows, history_table(shown, title), indexed, drawn)


def spec_name(ref: str) -> str:
    """A spec's name: SPEC is a spec file (its `name:`) or the name itself."""
    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        from evalspec.spec import load_spec

        return load_spec(path).spec.name
    return ref
