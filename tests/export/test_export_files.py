"""CSV, JSON lines and Parquet: one table, one row per (run, unit, metric) or per sample."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from recorded_checks import Recorded

from evalspec.cli import cli
from evalspec.export.rows import METRIC_COLUMNS, SAMPLE_COLUMNS


def _export(*args: str) -> Result:
    return CliRunner().invoke(cli, ["export", *args], catch_exceptions=False)


def _results(recorded: Recorded) -> dict[str, dict[str, object]]:
    return {
        o.run_id: json.loads((o.run_dir / "results.json").read_text()) for o in recorded.outcomes
    }


def test_history_csv_has_a_row_per_run_unit_and_metric(recorded: Recorded) -> None:
    result = _export("--history", str(recorded.history), "--format", "csv")

    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [name for name, _ in METRIC_COLUMNS]
    expected = {
        (run_id, unit["unit_id"], name): metric["value"]
        for run_id, results in _results(recorded).items()
        for unit in results["units"]  # type: ignore[attr-defined]
        for name, metric in unit["metrics"].items()
    }
    assert {(r["run_id"], r["unit_id"], r["metric"]): float(r["value"]) for r in rows} == expected
    assert len(rows) == len(expected) == 6
    assert {r["status"] for r in rows if r["metric"] == "accuracy"} == {"PASS", "FAIL"}
    assert "evalspec: 6 rows to standard output" in result.stderr


def test_jsonl_and_parquet_hold_the_same_table(recorded: Recorded, tmp_path: Path) -> None:
    jsonl = _export("--history", str(recorded.history), "--format", "jsonl")
    parquet = tmp_path / "history.parquet"
    written = _export(
        "--history", str(recorded.history), "--format", "parquet", "--output", str(parquet)
    )

    assert jsonl.exit_code == 0 and written.exit_code == 0
    assert f"wrote 6 rows to {parquet}" in written.stderr
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    table = pq.read_table(parquet)
    assert table.column_names == [name for name, _ in METRIC_COLUMNS]
    assert str(table.schema.field("value").type) == "double"
    assert str(table.schema.field("n").type) == "int64"
    assert table.to_pylist() == lines


def test_samples_give_one_row_per_sample_value(recorded: Recorded, tmp_path: Path) -> None:
    out = tmp_path / "samples.csv"

    result = _export(
        "--history", str(recorded.history), "--format", "csv", "--samples", "-o", str(out)
    )

    assert result.exit_code == 0 and result.stdout == ""
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == [name for name, _ in SAMPLE_COLUMNS]
    expected = {
        (run_id, unit["unit_id"], name, sample_id): value
        for run_id, results in _results(recorded).items()
        for unit in results["units"]  # type: ignore[attr-defined]
        for name in unit["metrics"]
        for sample_id, value in unit["metric_outcomes"].get(name, unit["outcomes"]).items()
    }
    assert {
        (r["run_id"], r["unit_id"], r["metric"], r["sample_id"]): float(r["value"]) for r in rows
    } == expected


def test_one_run_by_directory_or_id_with_its_kept_verdicts(recorded: Recorded) -> None:
    _, second = recorded.outcomes

    by_dir = _export(str(second.run_dir), "--format", "jsonl")
    by_id = _export(second.run_id, "--runs-dir", str(recorded.runs), "--format", "jsonl")

    assert by_dir.exit_code == 0 and by_dir.stdout == by_id.stdout
    rows = [json.loads(line) for line in by_dir.stdout.splitlines()]
    assert {r["run_id"] for r in rows} == {second.run_id}
    assert len(rows) == 3
    accuracy = next(r for r in rows if r["metric"] == "accuracy")
    assert (accuracy["status"], accuracy["gate_status"]) == ("FAIL", "FAIL")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--format", "csv"],
            "export needs exactly one of RUN (a run id or directory) and --history",
        ),
        (["RUN", "--history", "--format", "csv"], "export needs exactly one of RUN"),
        (
            ["--history", "--format", "prometheus", "--samples"],
            "--samples applies to csv, parquet, jsonl, not prometheus",
        ),
        (
            ["--history", "--format", "parquet"],
            "--format parquet writes a binary file: pass --output FILE.parquet",
        ),
        (
            ["RUN", "--format", "csv", "--spec", "x"],
            "--spec and --since select runs of the history: add --history",
        ),
        (
            ["--history", "--format", "csv", "--pushgateway", "http://x"],
            "--pushgateway applies to --format prometheus",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    recorded: Recorded, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("EVALSPEC_HISTORY", str(recorded.history))

    result = CliRunner().invoke(cli, ["export", *args])

    assert result.exit_code == 2
    assert result.output.startswith(f"error: {message}")
    assert result.output.count("\n") == 1


def test_the_cli_offers_every_export_format() -> None:
    from evalspec.cli import EXPORT_FORMATS
    from evalspec.export import FORMATS

    assert list(FORMATS) == EXPORT_FORMATS
