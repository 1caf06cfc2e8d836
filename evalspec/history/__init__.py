"""Run history: every check indexed in SQLite, queried as a table or a trend chart, imported.

Public API: record_check (the `check` hook), import_runs, show_history and spec_name,
HistoryIndex and default_history_path, HistoryQuery, query_history, RunEntry and
entry_from_run, load_entries. The schema is in history/schema.py.
"""

from __future__ import annotations

from evalspec.history.entries import RunEntry, entry_from_run
from evalspec.history.importing import ImportSummary, import_runs
from evalspec.history.index import HISTORY_ENV, HistoryIndex, default_history_path
from evalspec.history.query import HistoryQuery, HistoryRow, query_history
from evalspec.history.recording import record_check
from evalspec.history.view import HistoryView, show_history, spec_name

__all__ = [
    "HISTORY_ENV",
    "HistoryIndex",
    "HistoryQuery",
    "HistoryRow",
    "HistoryView",
    "ImportSummary",
    "RunEntry",
    "default_history_path",
    "entry_from_run",
    "import_runs",
    "query_history",
    "record_check",
    "show_history",
    "spec_name",
]
