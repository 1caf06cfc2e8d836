"""`evalspec history SPEC`: the table of the last runs, --chart, and its usage errors."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from recorded_checks import Recorded

from evalspec.cli import cli


def _history(recorded: Recorded, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["history", *args, "--history", str(recorded.history)], catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def test_the_table_shows_each_run_metric_value_and_verdict(recorded: Recorded) -> None:
    code, out, _ = _history(recorded, str(recorded.spec))  # a spec file: its name is used

    assert code == 0
    assert "hist: 2 runs (2 indexed)" in out
    lines = [line for line in out.splitlines() if "│" in line and "accuracy" in line]
    assert len(lines) == 2
    assert "PASS" in lines[0] and "FAIL" in lines[1]
    assert "0.000" in lines[1]  # Δ against the baseline (the first run) is 0
    assert out.count("pass@2") == 2 and out.count("exact_match") == 2


def test_filters_and_last_by_spec_name(recorded: Recorded) -> None:
    code, out, _ = _history(recorded, "hist", "--task", "echo", "--metric", "pass@*", "--last", "1")

    assert code == 0
    assert "hist: 1 run (2 indexed)" in out
    assert out.count("pass@2") == 1 and "accuracy" not in out


def test_chart_option_writes_the_trend(recorded: Recorded, tmp_path: Path) -> None:
    chart = tmp_path / "trend.svg"

    code, _, err = _history(recorded, "hist", "--chart", str(chart))

    assert code == 0
    assert f"chart: {chart} (3 series)" in err
    assert chart.read_text().count('id="series-') == 3


def test_usage_errors_exit_2_with_one_line(recorded: Recorded, tmp_path: Path) -> None:
    bad_chart = CliRunner().invoke(
        cli,
        ["history", "hist", "--history", str(recorded.history), "--chart", "t.pdf"],
    )
    missing = CliRunner().invoke(cli, ["history", "hist", "--history", str(tmp_path / "no.db")])

    assert bad_chart.exit_code == 2
    assert bad_chart.output == "error: --chart t.pdf: the chart file must end in .png or .svg\n"
    assert missing.exit_code == 2
    assert missing.output.startswith(f"error: {tmp_path / 'no.db'}: no history index there yet")
    assert not (tmp_path / "no.db").exists()


def test_no_matching_runs_says_so(recorded: Recorded) -> None:
    code, out, err = _history(recorded, "hist", "--model", "nobody")

    assert code == 0 and out == ""
    assert err == f"no runs of spec 'hist' match in {recorded.history} (2 of its runs indexed)\n"


def test_a_long_history_tables_its_last_100_runs_and_charts_them_all(tmp_path: Path) -> None:
    from synthetic import entry

    from evalspec.history import HistoryIndex

    index = tmp_path / "history.sqlite"
    with HistoryIndex(index) as history:
        assert len(history.add_many([entry(i) for i in range(150)])) == 150
    chart = tmp_path / "trend.svg"

    result = CliRunner().invoke(
        cli,
        ["history", "synthetic", "--history", str(index), "--last", "0", "--chart", str(chart)],
    )

    assert result.exit_code == 0, result.output
    assert "synthetic: 150 runs (150 indexed); the table shows the last 100, the chart all" in (
        result.stdout
    )
    assert result.stdout.count("accuracy") == 100
    assert "synthetic-00050" in result.stdout and "synthetic-00049" not in result.stdout
    assert "chart: " in result.stderr and chart.is_file()
