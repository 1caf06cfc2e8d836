"""`evalspec baseline show`: a readable summary of the committed baseline, or a clear error."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from evalspec.cli import cli


def test_baseline_show_prints_units_metrics_fingerprint_and_provenance(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["baseline", "show", str(workspace / "specs" / "smoke.yaml")])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(
        line.split() == ["smol/arithmetic", "accuracy", "0.250", "±", "0.099", "20", "20"]
        for line in lines
    ), result.output
    assert "run 20261122T045609Z-smoke-cf097a, git a11970093d54" in result.output
    assert "  engine_version: 0.32.0" in lines
    assert "  perf: not recorded" in lines


def test_baseline_show_without_a_baseline_file_says_how_to_make_one(workspace: Path) -> None:
    (workspace / "baselines" / "smoke.json").unlink()

    result = CliRunner().invoke(cli, ["baseline", "show", str(workspace / "specs" / "smoke.yaml")])

    assert result.exit_code == 2
    assert "no baseline yet; run `evalspec check" in result.output
