"""Synthetic history entries (no run directory): for tests of queries and views at scale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evalspec.history import MetricEntry, RunEntry, UnitEntry

START = datetime(2026, 1, 1, tzinfo=UTC)


def entry(i: int, spec: str = "synthetic", value: float = 0.5) -> RunEntry:
    """Run i of a spec with one unit (smol/arith) and one metric (accuracy)."""
    return RunEntry(
        run_id=f"{spec}-{i:05d}",
        spec=spec,
        spec_digest=None,
        spec_path=None,
        started_at=(START + timedelta(hours=i)).isoformat(),
        finished_at=None,
        status="complete",
        git_sha=f"{i:040x}",
        git_branch="main",
        git_dirty=False,
        evalspec_version=None,
        executor="local",
        gate_status="PASS",
        exit_code=0,
        baseline_run=None,
        source="import",
        run_dir=None,
        units=(UnitEntry("smol/arith", "h" * 64, "smol", None, "arith", None, {}, {}),),
        metrics=(
            MetricEntry("smol/arith", "smol", None, "arith", "accuracy", value, 0.05, 100, True),
        ),
    )
