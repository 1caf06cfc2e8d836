"""Building a `RunEntry` from a run directory and the gate's verdicts on it.

Values come from the run's ``results.json`` exactly (each unit's metrics with standard
error and n, the per-sample values each metric was computed from, perf and fingerprint);
verdicts come from the gate's result: the one the check computed, or the ``report.json``
it kept in the run directory. A run without one (written before evalspec kept its
reports) is indexed with its values and no verdicts: a verdict recomputed against today's
thresholds and baseline would be one the run never had.
"""

from __future__ import annotations

import json
from typing import Any

from evalspec.errors import SpecError
from evalspec.gate import GateResult, GateRow
from evalspec.history.entries import MetricEntry, PerfVerdict, RunEntry, SampleEntry, UnitEntry
from evalspec.store import Run

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


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


def kept_verdicts(run: Run, run_id: str) -> tuple[GateResult | None, str | None]:
    """The gate result and baseline run id a check kept in the run directory (None, None
    when it kept none); SpecError naming the file when it is damaged or of another run."""
    path = run.path / REPORT_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        raise SpecError(f"{path}: not a readable JSON report ({exc})") from exc
    if not isinstance(data, dict) or data.get("run_id") != run_id:
        raise SpecError(f"{path}: not the report of run {run_id}")
    try:
        return GateResult.from_dict(data), data.get("baseline_run_id")
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"{path}: a damaged report ({type(exc).__name__}: {exc})") from exc
