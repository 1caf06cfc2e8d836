"""Run storage: one directory per run (manifest, crash-safe records, results) and its history.

Public API: RunStore, Run, default_runs_dir, collect_environment.
"""

from __future__ import annotations

from evalspec.store.environment import collect_environment
from evalspec.store.run import Run, RunStatus
from evalspec.store.runstore import RunStore, default_runs_dir

__all__ = ["Run", "RunStatus", "RunStore", "collect_environment", "default_runs_dir"]
