"""The sampler: NVML readings through a stand-in module, per-unit attribution, no-GPU path, stop."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from nvml_standin import Reading, StandInNvml

from evalspec.errors import SpecError
from evalspec.monitor import MONITOR_FILE, Sampler, interval_from_env


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_peak_memory_is_the_max_over_ticks_and_units_are_attributed(tmp_path: Path) -> None:
    nvml = StandInNvml(
        scripts=[
            [
                Reading(1000, util=10, temp=40, power_mw=100_000),  # load:smol (closed by a)
                Reading(3000, util=80, temp=70, power_mw=300_000),  # a
                Reading(5000, util=90, temp=75, power_mw=310_000),  # a: its peak
                Reading(4000, util=70, temp=72, power_mw=290_000),  # a, closed by begin(b)
                Reading(2000, util=20, temp=65, power_mw=150_000),  # b
                Reading(2500, util=30, temp=66, power_mw=160_000),  # b, closed by stop()
            ]
        ]
    )
    sampler = Sampler(tmp_path / MONITOR_FILE, nvml=nvml, clock=Clock())
    sampler.begin("load:smol")
    sampler.begin("a")
    sampler.tick()
    sampler.tick()
    sampler.begin("b")
    sampler.tick()
    sampler.stop()

    a, b = sampler.summary("a"), sampler.summary("b")
    assert a["gpu"] == "Stand-in GPU"
    assert a["peak_gpu_memory_mib"] == 5000
    assert a["gpu_util_mean_pct"] == 80
    assert a["gpu_temp_max_c"] == 75
    assert a["gpu_power_mean_w"] == 300
    assert a["monitor_samples"] == 3
    assert b["peak_gpu_memory_mib"] == 2500
    assert b["gpu_temp_max_c"] == 66
    assert b["monitor_samples"] == 2
    assert sampler.summary("load:smol")["peak_gpu_memory_mib"] == 1000
    assert a["peak_rss_mib"] > 0 and "cpu_pct_mean" in a
    assert nvml.shut_down

    lines = [json.loads(x) for x in (tmp_path / MONITOR_FILE).read_text().splitlines()]
    assert [line["unit"] for line in lines] == ["load:smol", "a", "a", "a", "b", "b"]
    assert lines[2]["gpus"][0]["mem_used_mib"] == 5000
    assert lines[2]["gpus"][0]["power_w"] == 310
    assert set(lines[0]) == {"t", "unit", "node", "gpus", "cpu_pct", "rss_mib"}
    assert lines[0]["node"] == socket.gethostname()  # every reading names its node and GPU
    assert [g["index"] for g in lines[0]["gpus"]] == [0]
    assert [line["t"] for line in lines] == sorted(line["t"] for line in lines)


def test_two_gpus_peak_is_the_largest_per_tick_sum() -> None:
    nvml = StandInNvml(scripts=[[Reading(1000), Reading(4000)], [Reading(3500), Reading(100)]])
    sampler = Sampler(nvml=nvml)
    sampler.begin("u")
    sampler.tick()  # GPU0 1000 + GPU1 3500 = 4500 > 4000 + 100
    sampler.stop()
    summary = sampler.summary("u")
    assert summary["gpu"] == "2 × Stand-in GPU"
    assert summary["peak_gpu_memory_mib"] == 4500
    assert sampler.describe()["gpus"] == ["Stand-in GPU", "Stand-in GPU"]


def test_without_nvml_the_gpu_is_none_with_the_reason_and_no_numbers(tmp_path: Path) -> None:
    nvml = StandInNvml(scripts=[[Reading(1)]], init_error="NVML Shared Library Not Found")
    sampler = Sampler(tmp_path / MONITOR_FILE, nvml=nvml)
    sampler.begin("u")
    sampler.tick()
    sampler.stop()
    summary = sampler.summary("u")
    assert sampler.gpu_status == "none (NVML: NVML Shared Library Not Found)"
    assert summary["gpu"] == "none (NVML: NVML Shared Library Not Found)"
    assert not any(key.startswith(("gpu_", "peak_gpu")) for key in summary)
    assert summary["peak_rss_mib"] > 0
    ticks = [json.loads(x) for x in (tmp_path / MONITOR_FILE).read_text().splitlines()]
    assert ticks and all(t["gpus"] == [] for t in ticks)


def test_no_devices_and_no_bindings_say_so() -> None:
    assert Sampler(nvml=StandInNvml(scripts=[])).gpu_status == "none (NVML: no devices)"
    no_bindings = Sampler(nvml=None)
    assert no_bindings.gpu_status == "none (NVML: nvidia-ml-py is not installed)"
    no_bindings.stop()


def test_a_unit_without_ticks_has_only_its_gpu_status() -> None:
    sampler = Sampler(nvml=StandInNvml(scripts=[[Reading(1)]]))
    assert sampler.summary("never") == {"gpu": "Stand-in GPU", "monitor_samples": 0}
    sampler.stop()


def test_the_thread_samples_every_interval_and_stops_fast(tmp_path: Path) -> None:
    sampler = Sampler(tmp_path / MONITOR_FILE, interval_s=0.05, nvml=StandInNvml([[Reading(7)]]))
    sampler.begin("u")
    sampler.start()
    time.sleep(0.4)
    started = time.monotonic()
    sampler.stop()
    assert time.monotonic() - started < 2
    count = len(sampler.ticks)
    assert count >= 4
    time.sleep(0.15)
    assert len(sampler.ticks) == count  # nothing ticks after stop()
    assert len((tmp_path / MONITOR_FILE).read_text().splitlines()) == count


def test_a_long_interval_does_not_delay_stop() -> None:
    sampler = Sampler(interval_s=60, nvml=None)
    sampler.start()
    started = time.monotonic()
    sampler.stop()
    assert time.monotonic() - started < 2


def test_interval_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALSPEC_MONITOR_INTERVAL_S", raising=False)
    assert interval_from_env() == 1.0
    monkeypatch.setenv("EVALSPEC_MONITOR_INTERVAL_S", "0.25")
    assert interval_from_env() == 0.25
    for bad in ("0", "-1", "fast"):
        monkeypatch.setenv("EVALSPEC_MONITOR_INTERVAL_S", bad)
        with pytest.raises(SpecError, match="EVALSPEC_MONITOR_INTERVAL_S"):
            interval_from_env()


def test_real_nvml_reads_the_gpus_when_there_are_some() -> None:
    pynvml = pytest.importorskip("pynvml", reason="nvidia-ml-py is not installed")
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        pytest.skip(f"no GPU here: pynvml.nvmlInit() failed ({exc})")
    pynvml.nvmlShutdown()
    sampler = Sampler()  # the real pynvml
    sampler.begin("u")
    sampler.tick()
    sampler.stop()
    summary = sampler.summary("u")
    assert not summary["gpu"].startswith("none")
    assert summary["peak_gpu_memory_mib"] > 0
    assert 0 <= summary["gpu_util_mean_pct"] <= 100
