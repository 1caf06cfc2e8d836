"""Monitoring: the NVML/psutil sampler thread, per-unit resource summaries, throughput/latency.

Public API: Sampler (+ interval_from_env, MONITOR_FILE), unit_summary and
RESOURCE_KEYS, write_chart (+ CHART_FILE), UnitPerf and unit_perf.
"""

from __future__ import annotations

from evalspec.monitor.chart import CHART_FILE, write_chart
from evalspec.monitor.perf import UnitPerf, unit_perf
from evalspec.monitor.sampler import MONITOR_FILE, Sampler, interval_from_env
from evalspec.monitor.unit_resources import RESOURCE_KEYS, unit_summary

__all__ = [
    "CHART_FILE",
    "MONITOR_FILE",
    "RESOURCE_KEYS",
    "Sampler",
    "UnitPerf",
    "interval_from_env",
    "unit_perf",
    "unit_summary",
    "write_chart",
]
