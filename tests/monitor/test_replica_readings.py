"""Readings taken inside engine replicas: their own GPUs, named by node and replica, summed
over replicas in a unit's peak, and summarised per node and GPU in the report."""

from __future__ import annotations

import socket

from nvml_standin import Reading, StandInNvml

from evalspec.monitor import Sampler, unit_summary
from evalspec.monitor.replica import ReplicaProbe
from evalspec.report.resources import resource_lines


def test_a_replica_reads_only_its_own_gpus_and_names_its_node_and_itself() -> None:
    nvml = StandInNvml(scripts=[[Reading(100)], [Reading(7000)], [Reading(300)], [Reading(9)]])
    probe = ReplicaProbe("qwen#1", "a1b2c3d4e5f6", [1, 2], 60.0, nvml=nvml)
    with probe.during("qwen/gsm8k") as ticks:
        pass
    assert len(ticks) == 2  # one at the start, one at the end of the shard
    tick = ticks[0]
    assert tick["node"] == socket.gethostname() and tick["node_id"] == "a1b2c3d4e5f6"
    assert tick["replica"] == "qwen#1" and tick["unit"] == "qwen/gsm8k"
    assert [(g["index"], g["mem_used_mib"]) for g in tick["gpus"]] == [(1, 7000), (2, 300)]
    cpu_only = ReplicaProbe("cpu#0", "x", None, 60.0, nvml=nvml)
    assert cpu_only.read("u")["gpus"] == []  # a CPU replica reads no GPU, not all of them


def _tick(node_id: str, replica: str, gpu: int, used: float, util: float) -> dict[str, object]:
    gpus = [
        {
            "index": gpu,
            "util_pct": util,
            "mem_used_mib": used,
            "mem_total_mib": 80000.0,
            "temp_c": 60.0,
            "power_w": 300.0,
        }
    ]
    return {
        "t": 1.0,
        "unit": "m/t",
        "node": "gpu-box",
        "node_id": node_id,
        "replica": replica,
        "gpus": gpus,
        "cpu_pct": 10.0,
        "rss_mib": 500.0,
    }


def test_replicas_at_once_add_up_in_the_peak_and_each_gpu_is_summarised() -> None:
    ticks = [
        _tick("n1", "m#0", 0, 60000, 90),
        _tick("n1", "m#0", 0, 70000, 70),
        _tick("n2", "m#1", 3, 50000, 80),
    ]
    summary = unit_summary(ticks, "m/t", "NVIDIA H100")
    assert summary["peak_gpu_memory_mib"] == 70000 + 50000
    assert summary["devices"] == [
        {
            "node": "gpu-box",
            "node_id": "n1",
            "gpu": 0,
            "peak_memory_mib": 70000.0,
            "util_mean_pct": 80.0,
        },
        {
            "node": "gpu-box",
            "node_id": "n2",
            "gpu": 3,
            "peak_memory_mib": 50000.0,
            "util_mean_pct": 80.0,
        },
    ]
    lines = resource_lines({"m/t": summary})
    # two nodes with one host name: told apart by their Ray node ids
    assert "gpu-box [n1] GPU 0: peak memory 70,000 MiB, util mean 80% (1 unit(s))" in lines
    assert "gpu-box [n2] GPU 3: peak memory 50,000 MiB, util mean 80% (1 unit(s))" in lines


def test_the_driver_keeps_replica_readings_beside_its_own() -> None:
    sampler = Sampler(None, nvml=None)
    sampler.record([_tick("n1", "m#0", 0, 1000, 50)])
    sampler.tick()
    sampler.stop()
    ticks = sampler.ticks
    assert ticks[0]["replica"] == "m#0" and ticks[1]["node"] == socket.gethostname()
    assert sampler.summary("m/t")["peak_gpu_memory_mib"] == 1000
