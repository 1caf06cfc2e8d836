"""What the history keeps of one check: a `RunEntry` (plain data; `building` makes them).

A run's units (hash, engine fingerprint, perf), its metrics (value, standard error, n
and the gate's verdict), the gate's perf verdicts and the per-sample values each metric
was computed from, with the run's spec, git revision, times and overall verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CHECK, IMPORT = "check", "import"
PERF_COLUMNS = ("tokens_per_s", "latency_p50_s", "latency_p95_s", "peak_gpu_memory_mib")


@dataclass(frozen=True)
class MetricEntry:
    """One (unit, metric): its value in the run and the gate's verdict on it."""

    unit_id: str
    model: str
    adapter: str | None
    task: str
    metric: str
    value: float | None  # None: a verdict row without a value (e.g. missing from the run)
    stderr: float | None
    n: int | None
    higher_is_better: bool | None
    status: str | None = None  # PASS | WARN | FAIL | ERROR; None: no verdict recorded
    baseline: float | None = None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    test: str | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitEntry:
    unit_id: str
    unit_hash: str
    model: str
    adapter: str | None
    task: str
    error: str | None
    fingerprint: dict[str, Any]  # the engine fingerprint the unit ran with
    perf: dict[str, Any]  # the measures taken (results.json perf, None left out)

    def measure(self, name: str) -> float | None:
        value = self.perf.get(name)
        return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class PerfVerdict:
    unit_id: str
    measure: str
    baseline: float | None
    current: float | None
    change_pct: float | None
    tolerance_pct: float | None
    status: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class SampleEntry:
    unit_id: str
    metric: str
    sample_id: str
    value: float


@dataclass(frozen=True)
class RunEntry:
    run_id: str
    spec: str
    spec_digest: str | None
    spec_path: str | None
    started_at: str  # ISO 8601, UTC
    finished_at: str | None
    status: str  # the run's: complete | failed
    git_sha: str | None
    git_branch: str | None
    git_dirty: bool | None
    evalspec_version: str | None
    executor: str | None
    gate_status: str | None  # the check's verdict (PASS/WARN/FAIL/ERROR); None: not recorded
    exit_code: int | None
    baseline_run: str | None
    source: str  # check | import
    run_dir: str | None
    units: tuple[UnitEntry, ...]
    metrics: tuple[MetricEntry, ...]
    perf_verdicts: tuple[PerfVerdict, ...] = ()
    samples: tuple[SampleEntry, ...] = ()

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.started_at)


def fingerprint_text(fingerprint: dict[str, Any]) -> str:
    return json.dumps(fingerprint, sort_keys=True, separators=(",", ":"))
