"""Run storage: one directory per run (manifest, crash-safe records, results), response cache.

Public API: RunStore, Run, default_runs_dir, collect_environment, ResponseCache,
default_cache_path.
"""

from __future__ import annotations

from evalspec.store.cache import ResponseCache, default_cache_path
from evalspec.store.environment import collect_environment
from evalspec.store.run import Run, RunStatus
from evalspec.store.runstore import RunStore, default_runs_dir

__all__ = [
    "ResponseCache",
    "Run",
    "RunStatus",
    "RunStore",
    "collect_environment",
    "default_cache_path",
    "default_runs_dir",
]
