"""Run directories written through the real store, for report and diff tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalspec.scoring.results import Metric, UnitResult
from evalspec.store import Record, Run, RunStore
from evalspec.store.runfiles import TokenCounts

TASK = "arith"
UNIT = f"smol/{TASK}"


def outcomes(passing: set[int], n: int = 8) -> dict[str, float]:
    return {f"s{i}": 1.0 if i in passing else 0.0 for i in range(n)}


def unit_result(
    scores: dict[str, float],
    *,
    task: str = TASK,
    metric: str = "accuracy",
    higher_is_better: bool = True,
    clusters: dict[str, str] | None = None,
) -> UnitResult:
    """One unit of model smol whose metric is the mean of `scores`."""
    value = sum(scores.values()) / len(scores)
    return UnitResult(
        unit_id=f"smol/{task}",
        unit_hash="h" * 64,
        model="smol",
        adapter=None,
        task=task,
        metrics={metric: Metric(metric, value, 0.1, len(scores), higher_is_better)},
        outcomes=scores,
        clusters=clusters or {},
    )


def write_run(
    root: Path,
    scores: dict[str, float],
    output_prefix: str,
    *,
    units: list[UnitResult] | None = None,
    perf: dict[str, dict[str, Any]] | None = None,
    status: str = "complete",
    spec_path: Path | None = None,
) -> Run:
    """A run of spec 'smoke' with one unit (or `units`); outputs read "<prefix> <sample id>".

    The records are those of the first unit's samples (`scores`).
    """
    run = RunStore(root).create("smoke", {"spec_path": str(spec_path or root / "absent.yaml")})
    units = units if units is not None else [unit_result(scores)]
    run.append_records(
        [
            Record(
                unit_id=units[0].unit_id if units else UNIT,
                unit_hash="h" * 64,
                sample_id=sid,
                sample_index=0,
                prompt=[{"role": "user", "content": f"What is {sid}?"}],
                output=f"{output_prefix} {sid}",
                target="42",
                score=score,
                detail=None if score else "expected 42",
                tokens=TokenCounts(prompt=5, completion=2),
                cached=False,
            )
            for sid, score in scores.items()
        ]
    )
    run.finish(units, status, perf=perf)
    return run
