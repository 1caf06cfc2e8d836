"""`evalspec check` end to end on vLLM-CPU with the built-in model: pass, A/A, regression."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from evalspec.cli import cli
from evalspec.engines import default_pool

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _check(spec: Path, runs: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["check", str(spec), "--runs-dir", str(runs), "--quiet", *extra],
        catch_exceptions=False,
    )


def _run_dir(runs: Path) -> Path:
    (run,) = sorted(p for p in runs.iterdir() if p.is_dir())
    return run


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path, Path]:
    runs = tmp_path_factory.mktemp("runs")
    report = runs.parent / "smoke-report.json"
    result = _check(REPO / "specs" / "smoke.yaml", runs, "--report-json", str(report))
    return result, _run_dir(runs), report


def test_smoke_check_passes_against_the_committed_baseline(
    smoke: tuple[Result, Path, Path],
) -> None:
    result, _, _ = smoke
    assert result.exit_code == 0, result.output
    assert "| Model | Task | Metric |" in result.output
    assert "arithmetic" in result.output and "humaneval" in result.output
    assert "accuracy" in result.output and "pass@1" in result.output


def test_smoke_run_directory_holds_manifest_and_one_record_per_sample(
    smoke: tuple[Result, Path, Path],
) -> None:
    _, run_dir, _ = smoke
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["spec"] == "smoke"
    assert {u["unit_id"] for u in manifest["units"]} == {"smol/arithmetic", "smol/humaneval"}
    assert manifest["environment"]["packages"]["vllm"]
    fingerprint = manifest["engine_fingerprints"]["smol"]
    assert fingerprint["engine"] == "vllm" and fingerprint["dtype"] == "float32"
    records = [json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()]
    assert len(records) == 50
    first = records[0]
    assert {"prompt", "output", "score", "tokens", "latency_s", "unit_hash"} <= first.keys()
    assert first["tokens"]["completion"] > 0
    assert default_pool().loads == 1


def test_smoke_run_is_monitored(smoke: tuple[Result, Path, Path]) -> None:
    result, run_dir, _ = smoke
    monitor = json.loads((run_dir / "manifest.json").read_text())["monitor"]
    assert monitor["gpus"] or monitor["gpu"].startswith("none (NVML: ")
    ticks = [json.loads(line) for line in (run_dir / "monitor.jsonl").read_text().splitlines()]
    assert {"smol/arithmetic", "smol/humaneval"} <= {t["unit"] for t in ticks}
    perf = json.loads((run_dir / "results.json").read_text())["perf"]
    for measured in perf.values():
        if measured.get("cached"):
            continue
        assert measured["gpu"] == monitor["gpu"]
        assert measured["monitor_samples"] >= 1 and measured["peak_rss_mib"] > 0
        assert ("peak_gpu_memory_mib" in measured) == bool(monitor["gpus"])
    chart = (run_dir / "monitor.svg").read_text()
    assert "<svg" in chart and '<g id="series-0">' in chart  # drawn by evalspec/charts.py
    assert "**Resources**" in result.output and f"GPU: {monitor['gpu']}" in result.output


def test_baseline_update_then_recheck_is_an_identical_pass(
    smoke: tuple[Result, Path, Path], workspace: Path
) -> None:
    _, run_dir, _ = smoke
    runs = run_dir.parent
    update = CliRunner().invoke(
        cli,
        [
            "baseline",
            "update",
            str(workspace / "specs" / "smoke.yaml"),
            "--runs-dir",
            str(runs),
            "--yes",
        ],
    )
    assert update.exit_code == 0, update.output
    written = json.loads((workspace / "baselines" / "smoke.json").read_text())
    assert written["provenance"]["run_id"] == run_dir.name

    rerun = workspace / "runs"
    report = workspace / "report.json"
    result = _check(workspace / "specs" / "smoke.yaml", rerun, "--report-json", str(report))
    assert result.exit_code == 0, result.output
    rows = json.loads(report.read_text())["rows"]
    assert rows and all(row["status"] == "PASS" for row in rows)
    assert all(row["delta"] == 0 for row in rows), rows  # greedy on one engine is deterministic
    assert default_pool().loads == 1  # the engine stayed resident across checks


def test_crippled_generation_limit_is_a_regression_naming_the_metric(workspace: Path) -> None:
    spec = workspace / "specs" / "smoke.yaml"
    data = yaml.safe_load(spec.read_text())
    data["tasks"][0]["generation"]["max_tokens"] = 1  # the answer no longer fits
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    report = workspace / "report.md"
    result = _check(spec, workspace / "runs", "--report-md", str(report))
    assert result.exit_code == 1, result.output
    text = report.read_text()
    assert "FAIL" in text
    failing = [line for line in text.splitlines() if "❌" in line and "arithmetic" in line]
    assert failing and "accuracy" in failing[0], text
    # failed by the paired non-inferiority rule itself, not only by the absolute floor
    assert "lies entirely below -0.100 (max_drop 0.100)" in text, text
