"""What a check leaves behind for later: its reports in the run directory, its entry in the index.

`record_check` is the one call `run_check` makes after the gate: it keeps ``report.json``
and ``report.md`` in the run directory (so `history import` of a CI artifact, and the
MLflow export, have the verdicts the check gave) and adds the run to the history index.
Neither may change the check's verdict: every problem comes back as a warning line.
"""

from __future__ import annotations

from pathlib import Path

from evalspec.errors import EvalspecError
from evalspec.files import atomic_write_text
from evalspec.gate import GateResult
from evalspec.history.building import REPORT_JSON, REPORT_MD, entry_from_run
from evalspec.history.entries import CHECK
from evalspec.history.index import HistoryIndex, default_history_path
from evalspec.report import Reports
from evalspec.store import Run


def record_check(
    run: Run,
    result: GateResult,
    reports: Reports,
    baseline_run: str | None,
    history: Path | None = None,
) -> list[str]:
    """Keep the reports in the run directory and index the run; the warnings (none: done)."""
    warnings = []
    try:
        atomic_write_text(run.path / REPORT_JSON, reports.json)
        atomic_write_text(run.path / REPORT_MD, reports.markdown)
    except (OSError, ValueError) as exc:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
        warnings.append(f"could not keep the reports in {run.path}: {reason}")
    path = history or default_history_path()
    try:
        entry = entry_from_run(run, result, baseline_run, source=CHECK)
        with HistoryIndex(path) as index:
            index.add(entry)
    except EvalspecError as exc:
        warnings.append(f"this check is not in the history index: {exc}")
    return warnings
