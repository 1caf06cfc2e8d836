"""How fast `evalspec history` answers over a large index: 10,000 indexed runs.

Builds (once, in a temporary directory) a history index of 10,000 runs shaped like the
smoke spec's checks (2 units, a metric each, 50 per-sample values, perf, verdicts; one run
in 25 a FAIL), inserted through `HistoryIndex.add_many` as `history import` does, then
times, as medians of 5:

- the query `evalspec history SPEC` makes (its last 20 runs), in process;
- the whole command, `evalspec history SPEC`, as a subprocess (Python start-up included);
- `--last 0` (all 10,000 runs) with `--chart FILE.png`, as a subprocess.

Prints one machine-readable line per figure:
``history query over 10000 runs: 0.004 s (target < 1 s)``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from evalspec.history import (
    HistoryIndex,
    HistoryQuery,
    MetricEntry,
    PerfVerdict,
    RunEntry,
    SampleEntry,
    UnitEntry,
    query_history,
)

RUNS = 10_000
TARGET_S = 1.0
REPEATS = 5
EVALSPEC = Path(sys.executable).parent / "evalspec"
START = datetime(2025, 1, 1, tzinfo=UTC)
UNITS = (("arithmetic", "accuracy", 40, 0.55), ("humaneval", "pass@1", 10, 0.10))


def entry(i: int) -> RunEntry:
    """Run i: values drift slowly; every 25th run fails its floor."""
    failing = i % 25 == 24
    units, metrics, samples = [], [], []
    for task, metric, n, level in UNITS:
        unit_id = f"smol/{task}"
        value = level + 0.05 * ((i % 200) / 200) - (0.2 if failing and task == "arithmetic" else 0)
        units.append(
            UnitEntry(
                unit_id,
                f"{i:056x}{task[:8]:>8}",
                "smol",
                None,
                task,
                None,
                {"engine": "vllm", "engine_version": "0.32.0", "dtype": "float32"},
                {"tokens_per_s": 18.0 + i % 7, "latency_p50_s": 2.1, "latency_p95_s": 3.4},
            )
        )
        status = "FAIL" if failing and task == "arithmetic" else "PASS"
        metrics.append(
            MetricEntry(
                unit_id, "smol", None, task, metric, value, 0.07, n, True, status, level, 0.0
            )
        )
        samples.extend(
            SampleEntry(unit_id, metric, f"{task}-{k}", float((k + i) % 3 == 0)) for k in range(n)
        )
    return RunEntry(
        run_id=f"run-{i:05d}",
        spec="smoke",
        spec_digest="d" * 64,
        spec_path="specs/smoke.yaml",
        started_at=(START + timedelta(hours=2 * i)).isoformat(),
        finished_at=None,
        status="complete",
        git_sha=f"{i:040x}",
        git_branch="main",
        git_dirty=False,
        evalspec_version="0.1.0",
        executor="local",
        gate_status="FAIL" if failing else "PASS",
        exit_code=1 if failing else 0,
        baseline_run="run-00000",
        source="import",
        run_dir=None,
        units=tuple(units),
        metrics=tuple(metrics),
        perf_verdicts=(
            PerfVerdict("smol/arithmetic", "tokens_per_s", 18.0, 19.0, 5.5, 20.0, "PASS"),
        ),
        samples=tuple(samples),
    )


def build(path: Path) -> float:
    began = time.perf_counter()
    with HistoryIndex(path) as index:
        for start in range(0, RUNS, 1000):
            index.add_many([entry(i) for i in range(start, min(start + 1000, RUNS))])
    return time.perf_counter() - began


def median_s(action: object) -> float:
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def command(*args: str) -> None:
    subprocess.run([str(EVALSPEC), "history", *args], check=True, capture_output=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite"
        built = build(path)
        size_mb = path.stat().st_size / 1e6
        print(f"built an index of {RUNS} runs in {built:.1f} s ({size_mb:.0f} MB)")
        with HistoryIndex(path, create=False) as index:
            rows = query_history(index, HistoryQuery("smoke", last=20))
            assert len({r.run_id for r in rows}) == 20
            query = median_s(lambda: query_history(index, HistoryQuery("smoke", last=20)))
            every = median_s(lambda: query_history(index, HistoryQuery("smoke")))
        cli = median_s(lambda: command("smoke", "--history", str(path)))
        chart = Path(tmp) / "trend.png"
        charted = median_s(
            lambda: command("smoke", "--history", str(path), "--last", "0", "--chart", str(chart))
        )
    print(f"history query over {RUNS} runs: {query:.4f} s (target < {TARGET_S:g} s)")
    print(f"history query of all {RUNS} runs: {every:.3f} s (target < {TARGET_S:g} s)")
    print(f"evalspec history over {RUNS} runs: {cli:.2f} s wall (target < {TARGET_S:g} s)")
    print(f"evalspec history --last 0 --chart over {RUNS} runs: {charted:.2f} s wall")


if __name__ == "__main__":
    main()
