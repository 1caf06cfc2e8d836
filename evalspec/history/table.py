"""The terminal table of `evalspec history`: one row per (run, unit, metric), runs in sections.

A run is named by its id (its directory; it starts with the UTC time it started), its
commit (``*``: uncommitted changes) and branch."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from evalspec.history.query import HistoryRow

NONE = "—"
VERDICT_STYLES = {"PASS": "green", "WARN": "yellow", "FAIL": "bold red", "ERROR": "magenta"}


def history_table(rows: Sequence[HistoryRow], title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for name, justify in (
        ("run", "left"),
        ("commit", "left"),
        ("branch", "left"),
        ("model", "left"),
        ("task", "left"),
        ("metric", "left"),
        ("value ± se", "right"),
        ("n", "right"),
        ("Δ baseline", "right"),
        ("verdict", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=name != "branch")  # type: ignore[arg-type]
    for i, row in enumerate(rows):
        first = i == 0 or rows[i - 1].run_id != row.run_id
        last = i == len(rows) - 1 or rows[i + 1].run_id != row.run_id
        table.add_row(
            row.run_id if first else "",
            _commit(row) if first else "",
            (row.git_branch or NONE) if first else "",
            row.model_label,
            row.task,
            row.metric,
            _value(row),
            NONE if row.n is None else str(row.n),
            NONE if row.delta is None else f"{row.delta:+.3f}",
            Text(row.status or NONE, style=VERDICT_STYLES.get(row.status or "", "")),
            end_section=last,
        )
    return table


def _commit(row: HistoryRow) -> str:
    if row.git_sha is None:
        return NONE
    return row.git_sha[:8] + ("*" if row.git_dirty else "")


def _value(row: HistoryRow) -> str:
    if row.value is None:
        return NONE
    if row.stderr is None:
        return f"{row.value:.3f}"
    return f"{row.value:.3f} ± {row.stderr:.3f}"
