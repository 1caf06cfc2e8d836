"""Run history: every check indexed in SQLite, queried as a table or a trend chart, imported.

Public API (what reading commands need, light to import): HistoryIndex,
default_history_path, HISTORY_ENV, HistoryQuery, HistoryRow, query_history, show_history,
spec_name, the entry types (RunEntry ...) and load_entries. What reads run directories and
the gate's types is imported from its module, so `evalspec history` never loads them:
`history.recording.record_check` (the `check` hook), `history.importing.import_runs`,
`history.building.entry_from_run`. The schema is in history/schema.py.
"""

from __future__ import annotations

from evalspec.history.entries import MetricEntry, PerfVerdict, RunEntry, SampleEntry, UnitEntry
from evalspec.history.index import HISTORY_ENV, HistoryIndex, default_history_path
from evalspec.history.load import load_entries
from evalspec.history.query import HistoryQuery, HistoryRow, query_history
from evalspec.history.view import HistoryView, show_history, spec_name

__all__ = [
    "HISTORY_ENV",
    "HistoryIndex",
    "HistoryQuery",
    "HistoryRow",
    "HistoryView",
    "MetricEntry",
    "PerfVerdict",
    "RunEntry",
    "SampleEntry",
    "UnitEntry",
    "default_history_path",
    "load_entries",
    "query_history",
    "show_history",
    "spec_name",
]
