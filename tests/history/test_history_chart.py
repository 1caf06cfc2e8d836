"""`history --chart`: trend charts read back (PNG size and colours, SVG elements per series)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from evalspec.charts import PALETTE, line_chart
from evalspec.history import HistoryRow
from evalspec.history.trend import trend_chart

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _row(run: int, task: str, value: float, status: str = "PASS") -> HistoryRow:
    return HistoryRow(
        run_id=f"run{run}",
        started_at=(START + timedelta(days=run)).isoformat(),
        git_sha=f"{run + 0xABC0000:x}".ljust(40, "0"),
        git_branch="main",
        git_dirty=False,
        run_status=status,
        baseline_run="run1",
        model="smol",
        adapter=None,
        task=task,
        metric="accuracy",
        value=value,
        stderr=0.03,
        n=200,
        higher_is_better=True,
        status=status,
        baseline=0.70 if task == "arith" else 0.40,
        delta=None,
    )


def _rows() -> list[HistoryRow]:
    """Two series over six runs; run 4 fails on arith."""
    arith = [0.70, 0.71, 0.69, 0.52, 0.72, 0.73]
    code = [0.40, 0.42, 0.41, 0.43, 0.45, 0.44]
    rows = []
    for run in range(6):
        rows.append(_row(run, "arith", arith[run], "FAIL" if run == 3 else "PASS"))
        rows.append(_row(run, "code", code[run]))
    return rows


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8)


def test_png_has_its_size_and_a_line_of_each_series_colour(tmp_path: Path) -> None:
    info = trend_chart(_rows(), tmp_path / "trend.png", "smoke: metrics over time")

    pixels = (imread(tmp_path / "trend.png")[:, :, :3] * 255).round().astype(np.uint8)
    assert pixels.shape == (400, 900, 3) and info.size_px == (900, 400)
    assert info.series == ["smol/arith accuracy", "smol/code accuracy"]
    assert info.failing_points == 1
    for colour in info.colours:
        exact = np.all(pixels == _rgb(colour), axis=-1).sum()
        assert exact > 200, (colour, exact)  # a drawn line, not a legend swatch alone
    unused = np.all(pixels == _rgb(PALETTE[4]), axis=-1).sum()
    assert unused == 0


def test_svg_has_one_line_band_and_baseline_per_series_and_the_failing_run(
    tmp_path: Path,
) -> None:
    trend_chart(_rows(), tmp_path / "trend.svg", "smoke: metrics over time")

    root = ET.fromstring((tmp_path / "trend.svg").read_text())
    groups = {g.get("id", "") for g in root.iter(f"{SVG}g")}
    for prefix in ("series-", "band-", "baseline-run-"):
        assert {g for g in groups if g.startswith(prefix)} == {f"{prefix}0", f"{prefix}1"}
    assert {"baseline-0", "baseline-1"} <= groups
    assert {g for g in groups if g.startswith("failing-")} == {"failing-0"}
    failing = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "failing-0")
    assert len(failing.findall(f".//{SVG}use")) == 1  # one crossed-out point: run 4
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"smol/arith accuracy", "smol/code accuracy", "baseline", "failing run"} <= texts
    ticks = [(f"11-0{run + 1} 09:00", f"abc000{run}") for run in range(6)]  # date, commit
    assert all(date in texts and commit in texts for date, commit in ticks)


def test_a_chart_is_png_or_svg(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"a chart is \.png or \.svg, not '\.pdf'"):
        line_chart(tmp_path / "x.pdf", [], title="t", ylabel="y")
    assert not (tmp_path / "x.pdf").exists()
