"""Run directories written through the real store, for report and diff tests."""

from __future__ import annotations

from pathlib import Path

from evalspec.scoring.results import Metric, UnitResult
from evalspec.store import Record, Run, RunStore
from evalspec.store.runfiles import TokenCounts

TASK = "arith"
UNIT = f"smol/{TASK}"


def outcomes(passing: set[int], n: int = 8) -> dict[str, float]:
    return {f"s{i}": 1.0 if i in passing else 0.0 for i in range(n)}


def write_run(root: Path, scores: dict[str, float], output_prefix: str) -> Run:
    """A complete run of spec 'smoke' with one unit; outputs read "<prefix> <sample id>"."""
    run = RunStore(root).create("smoke", {"spec_path": str(root / "absent.yaml")})
    run.append_records(
        [
            Record(
                unit_id=UNIT,
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
    value = sum(scores.values()) / len(scores)
    unit = UnitResult(
        unit_id=UNIT,
        unit_hash="h" * 64,
        model="smol",
        adapter=None,
        task=TASK,
        metrics={"accuracy": Metric("accuracy", value, 0.1, len(scores))},
        outcomes=scores,
    )
    run.finish([unit], "complete")
    return run
