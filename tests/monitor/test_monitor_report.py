"""The report's Resources section from the monitor keys of the perf dicts."""

from __future__ import annotations

from evalspec.gate import GateResult
from evalspec.report import render_markdown
from evalspec.report.resources import CHART_LINE, resource_lines

GPU = {
    "gpu": "NVIDIA H100 80GB HBM3",
    "peak_gpu_memory_mib": 12345.6,
    "gpu_util_mean_pct": 87.2,
    "gpu_temp_max_c": 71.0,
    "gpu_power_mean_w": 310.4,
    "cpu_pct_mean": 45.0,
    "peak_rss_mib": 2048.0,
    "tokens_per_s": 100.0,
}


def test_a_shared_gpu_is_named_once_then_one_line_per_unit() -> None:
    lines = resource_lines({"smol/arith": GPU, "smol/code": {**GPU, "peak_gpu_memory_mib": 99}})
    assert lines == [
        "GPU: NVIDIA H100 80GB HBM3",
        "`smol/arith`: peak GPU memory 12,346 MiB, GPU util mean 87%, temperature max 71 °C, "
        "power mean 310 W, CPU mean 45%, peak RSS 2,048 MiB",
        "`smol/code`: peak GPU memory 99 MiB, GPU util mean 87%, temperature max 71 °C, "
        "power mean 310 W, CPU mean 45%, peak RSS 2,048 MiB",
        CHART_LINE,
    ]


def test_no_gpu_says_none_and_shows_no_gpu_numbers() -> None:
    perf = {
        "smol/arith": {
            "gpu": "none (NVML: NVML Shared Library Not Found)",
            "cpu_pct_mean": 97.0,
            "peak_rss_mib": 900.0,
        }
    }
    lines = resource_lines(perf)
    assert lines[0] == "GPU: none (NVML: NVML Shared Library Not Found)"
    assert lines[1] == "`smol/arith`: CPU mean 97%, peak RSS 900 MiB"
    assert "GPU memory" not in "\n".join(lines)


def test_units_on_different_gpus_name_theirs_and_unmonitored_units_are_left_out() -> None:
    perf = {
        "a": {"gpu": "none (NVML: no devices)", "monitor_samples": 0},
        "b": GPU,
        "c": {"cached": True, "cached_samples": 3},
    }
    lines = resource_lines(perf)
    assert lines[0] == "`a`: GPU none (NVML: no devices)"
    assert lines[1].startswith("`b`: GPU NVIDIA H100 80GB HBM3, peak GPU memory 12,346 MiB")
    assert len(lines) == 3
    assert resource_lines({"c": perf["c"]}) == []


def test_markdown_renders_the_section() -> None:
    result = GateResult(rows=[], perf_rows=[], fingerprint_notes=[])
    text = render_markdown(
        result,
        spec_name="s",
        run_id="r",
        baseline_run_id=None,
        resources=resource_lines({"u": GPU}),
    )
    assert "**Resources**\n\n- GPU: NVIDIA H100 80GB HBM3\n- `u`: peak GPU memory" in text
    assert "**Resources**" not in render_markdown(
        result, spec_name="s", run_id="r", baseline_run_id=None
    )
