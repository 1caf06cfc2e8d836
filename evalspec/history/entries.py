"""What the history keeps of one check: a `RunEntry`, built from a run directory and its verdicts.

Values come from the run's ``results.json`` exactly (each unit's metrics with standard
error and n, the per-sample values each metric was computed from, perf and fingerprint);
verdicts come from the gate's result (the one the check computed, or the ``report.json``
it left in the run directory). A run without verdicts (written before evalspec kept
``report.json``, or checked elsewhere) is indexed with its values and no verdicts: a
verdict recomputed against today's thresholds and baseline would be one the run never had.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evalspec.gate import GateResult, GateRow
from evalspec.store import Run

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


def entry_from_run(
    run: Run, gate: GateResult | None, baseline_run: str | None, *, source: str
) -> RunEntry:
    """The entry of a finished run; SpecError when its files cannot be read."""
    manifest = run.manifest
    results = run.load_results()
    perf = {unit_id: p.as_dict() for unit_id, p in run.load_perf().items()}
    environment = manifest.environment
    git = environment.git if environment is not None else None
    verdicts = {(row.unit_id, row.metric): row for row in gate.rows} if gate is not None else {}
    units: list[UnitEntry] = []
    metrics: list[MetricEntry] = []
    samples: list[SampleEntry] = []
    for unit in results:
        units.append(
            UnitEntry(
                unit.unit_id,
                unit.unit_hash,
                unit.model,
                unit.adapter,
                unit.task,
                unit.error,
                dict(unit.fingerprint),
                perf.get(unit.unit_id, {}),
            )
        )
        for name, metric in unit.metrics.items():
            row = verdicts.pop((unit.unit_id, name), None)
            metrics.append(
                MetricEntry(
                    unit.unit_id,
                    unit.model,
                    unit.adapter,
                    unit.task,
                    name,
                    metric.value,
                    metric.stderr,
                    metric.n,
                    metric.higher_is_better,
                    **_verdict(row),
                )
            )
            samples.extend(
                SampleEntry(unit.unit_id, name, sample_id, value)
                for sample_id, value in sorted(unit.outcomes_for(name).items())
            )
    # verdicts without a value in the run: metrics it lacks, a failed unit's row ("-")
    for (unit_id, name), row in verdicts.items():
        metrics.append(
            MetricEntry(
                unit_id,
                row.model,
                row.adapter,
                row.task,
                name,
                None,
                None,
                None,
                None,
                **_verdict(row),
            )
        )
    return RunEntry(
        run_id=manifest.run_id,
        spec=manifest.spec,
        spec_digest=manifest.spec_digest,
        spec_path=manifest.spec_path,
        started_at=manifest.started_at,
        finished_at=manifest.finished_at,
        status=manifest.status,
        git_sha=git.sha if git is not None else None,
        git_branch=git.branch if git is not None else None,
        git_dirty=git.dirty if git is not None else None,
        evalspec_version=environment.packages.get("evalspec") if environment else None,
        executor=manifest.executor,
        gate_status=str(gate.status) if gate is not None else None,
        exit_code=gate.exit_code if gate is not None else None,
        baseline_run=baseline_run,
        source=source,
        run_dir=str(run.path.resolve()),
        units=tuple(units),
        metrics=tuple(metrics),
        perf_verdicts=tuple(
            PerfVerdict(
                row.unit_id,
                row.measure,
                row.baseline,
                row.current,
                row.change_pct,
                row.tolerance_pct,
                str(row.status),
                tuple(row.reasons),
            )
            for row in (gate.perf_rows if gate is not None else [])
        ),
        samples=tuple(samples),
    )


def _verdict(row: GateRow | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "status": str(row.status),
        "baseline": row.baseline,
        "delta": row.delta,
        "ci_low": row.ci_low,
        "ci_high": row.ci_high,
        "p_value": row.p_value,
        "test": row.test,
        "reasons": tuple(row.reasons),
    }


def fingerprint_text(fingerprint: dict[str, Any]) -> str:
    return json.dumps(fingerprint, sort_keys=True, separators=(",", ":"))
