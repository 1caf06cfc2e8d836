"""`evalspec baseline show`: a readable summary of the committed baseline, or a clear error."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from evalspec.cli import cli
from evalspec.gate import baseline_from_results, write_baseline
from evalspec.scoring import aggregate
from evalspec.scoring.results import UnitResult


def test_baseline_show_prints_units_metrics_fingerprint_and_provenance(workspace: Path) -> None:
    unit = UnitResult(
        unit_id="smol/arithmetic",
        unit_hash="ab" * 32,
        model="smol",
        adapter=None,
        task="arithmetic",
        metrics={"accuracy": aggregate("accuracy", [1.0, 0.0, 0.0, 1.0])},
        outcomes={"a1": 1.0, "a2": 0.0, "a3": 0.0, "a4": 1.0},
        fingerprint={"engine": "vllm", "engine_version": "0.32.0"},
    )
    baseline = baseline_from_results("smoke", "RUN-1", "0123456789abcdef", [unit])
    write_baseline(workspace / "baselines" / "smoke.json", baseline)

    result = CliRunner().invoke(cli, ["baseline", "show", str(workspace / "specs" / "smoke.yaml")])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(
        line.split() == ["smol/arithmetic", "accuracy", "0.500", "±", "0.289", "4", "4"]
        for line in lines
    ), result.output
    assert "run RUN-1, git 0123456789ab" in result.output
    assert "  engine_version: 0.32.0" in lines
    assert "  perf: not recorded" in lines


def test_baseline_show_without_a_baseline_file_says_how_to_make_one(workspace: Path) -> None:
    (workspace / "baselines" / "smoke.json").unlink()

    result = CliRunner().invoke(cli, ["baseline", "show", str(workspace / "specs" / "smoke.yaml")])

    assert result.exit_code == 2
    assert "no baseline yet; run `evalspec check" in result.output
