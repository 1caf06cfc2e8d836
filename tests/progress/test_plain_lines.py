"""Plain progress lines on a fake clock: throttled, cleaned, with rates, ETA and resources."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from evalspec.monitor import Sampler
from evalspec.report.progress import ThrottledLines, clean
from evalspec.report.progress.tracker import UnitProgress, duration, resources
from evalspec.scoring.results import Metric, UnitResult


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakePlan:
    """What the displays read of a Plan."""

    spec_name = "smoke"
    units = ("smol/a", "smol/b")


def _result(unit_id: str, error: str | None = None) -> UnitResult:
    return UnitResult(
        unit_id=unit_id,
        unit_hash="h",
        model="smol",
        adapter=None,
        task=unit_id.split("/")[1],
        metrics={} if error else {"accuracy": Metric("accuracy", 0.25, 0.1, 20)},
        outcomes={},
        error=error,
    )


def _lines(tmp_path: Path, interval_s: float = 10.0) -> tuple[ThrottledLines, list[str], Clock]:
    said: list[str] = []
    clock = Clock()
    lines = ThrottledLines(said.append, interval_s, clock=clock)
    sampler = Sampler(tmp_path / "monitor.jsonl", nvml=None)
    sampler.tick()
    lines.run_started(FakePlan(), sampler)  # type: ignore[arg-type]
    return lines, said, clock


def test_progress_lines_come_at_most_every_interval(tmp_path: Path) -> None:
    lines, said, clock = _lines(tmp_path)
    lines.unit_started("smol/a", 20)
    lines.outputs_done("smol/a", 4, cached=True, completion_tokens=0, wall_s=0.0)
    clock.now += 3
    lines.outputs_done("smol/a", 4, cached=False, completion_tokens=40, wall_s=2.0)
    assert said == []  # nothing within the first 10 s

    clock.now += 8  # 11 s after the start
    lines.outputs_done("smol/a", 4, cached=False, completion_tokens=40, wall_s=2.0)
    clock.now += 1
    lines.outputs_done("smol/a", 4, cached=False, completion_tokens=40, wall_s=2.0)
    lines.unit_finished("smol/a", _result("smol/a"), None)
    lines.run_finished()

    progress, finished, done = said
    assert progress.startswith(
        "[1/2] smol/a: 12/20 outputs (4 cached), 20.0 tok/s, ETA 4 s · CPU "
    )  # 8 left at 2 generated outputs per engine second
    assert finished == "[1/2] smol/a: accuracy 0.250 ± 0.100 (n=20) — all outputs cached"
    assert done == "done: 1 unit in 12 s"


def test_the_heartbeat_reports_a_unit_whose_chunk_takes_long(tmp_path: Path) -> None:
    lines, said, clock = _lines(tmp_path, interval_s=0.05)
    lines.unit_started("smol/b", 8)
    clock.now += 1  # no chunk has arrived, the engine is busy
    deadline = time.monotonic() + 5
    while not said and time.monotonic() < deadline:
        time.sleep(0.02)
    lines.run_finished()

    assert said[0].startswith("[1/2] smol/b: 0/8 outputs · CPU ")
    assert not any(t.name == "evalspec-progress" for t in threading.enumerate())


def test_lines_are_cleaned_of_escapes_and_control_characters() -> None:
    assert clean("\x1b[31mERROR\x1b[0m engine\rdied\x07\tnow\nline two") == [
        "ERROR enginedied now",
        "line two",
    ]


def test_resources_show_gpus_when_there_are_some_else_cpu_and_rss() -> None:
    gpu = {"index": 0, "util_pct": 87.0, "mem_used_mib": 41984.0, "mem_total_mib": 81920.0}
    assert resources({"gpus": [gpu, {**gpu, "index": 1}], "cpu_pct": 5, "rss_mib": 1}) == (
        "GPU0 87% 41.0/80.0 GiB · GPU1 87% 41.0/80.0 GiB"
    )
    assert resources({"gpus": [], "cpu_pct": 85.2, "rss_mib": 1536}) == "CPU 85% · RSS 1.50 GiB"
    assert resources(None) == ""
    assert [duration(s) for s in (4.4, 125, 3720)] == ["4 s", "2 min 05 s", "1 h 02 min"]


def test_a_failed_unit_line_carries_the_engine_message(tmp_path: Path) -> None:
    lines, said, _ = _lines(tmp_path)
    lines.unit_started("smol/a", 20)
    lines.unit_finished("smol/a", _result("smol/a", error="vLLM could not load x: OOM"), None)
    lines.run_finished()

    assert said == [
        "[1/2] smol/a: ERROR vLLM could not load x: OOM",
        "done: 1 unit in 0 s (1 failed)",
    ]


def test_the_eta_counts_down_from_the_last_chunk_and_is_dropped_when_it_ran_out() -> None:
    unit = UnitProgress("smol/a", total=10, started=0.0, done=5, generated=5, engine_s=10.0)
    unit.updated = 100.0

    assert unit.eta_s(100.0) == 10.0  # 5 left at 2 s each
    assert unit.eta_s(104.0) == 6.0
    assert unit.eta_s(111.0) is None  # overdue: no made-up "0 s"
    assert UnitProgress("smol/b", total=3, started=0.0).eta_s(1.0) is None  # no rate yet
