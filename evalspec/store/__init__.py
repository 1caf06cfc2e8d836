"""Run storage: one directory per run (typed manifest, crash-safe records, results), response cache.

Public API: RunStore, Run, the run file models (Manifest, Record, RunResults),
perf_dicts, default_runs_dir, collect_environment, ResponseCache, default_cache_path.
"""

from __future__ import annotations

from evalspec.store.cache import ResponseCache, default_cache_path
from evalspec.store.environment import collect_environment
from evalspec.store.run import Run, perf_dicts
from evalspec.store.runfiles import Manifest, Record, RunResults, RunStatus
from evalspec.store.runstore import RunStore, default_runs_dir

__all__ = [
    "Manifest",
    "Record",
    "ResponseCache",
    "Run",
    "RunResults",
    "RunStatus",
    "RunStore",
    "collect_environment",
    "default_cache_path",
    "default_runs_dir",
    "perf_dicts",
]
