"""monitor.svg: drawn by the shared chart module, one line per series and a marker per unit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from evalspec.monitor import CHART_FILE, write_chart

SVG = "{http://www.w3.org/2000/svg}"


def _tick(t: float, unit: str, gpus: list[dict[str, Any]]) -> dict[str, Any]:
    return {"t": t, "unit": unit, "gpus": gpus, "cpu_pct": 40.0 + t, "rss_mib": 500.0 + t}


def _gpu(used: float) -> dict[str, Any]:
    return {
        "index": 0,
        "util_pct": 50.0,
        "mem_used_mib": used,
        "mem_total_mib": 1000.0,
        "temp_c": 60.0,
        "power_w": 200.0,
    }


def _groups(root: ET.Element, prefix: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("id", "").startswith(prefix)]


def test_gpu_chart_has_four_series_and_unit_markers(tmp_path: Path) -> None:
    ticks = [
        _tick(0, "load:m", [_gpu(100)]),
        _tick(1, "a", [_gpu(600)]),
        _tick(2, "b", [_gpu(900)]),
    ]
    info = write_chart(ticks, tmp_path / CHART_FILE)

    assert info is not None and info.markers == ["load:m", "a", "b"]
    root = ET.fromstring((tmp_path / CHART_FILE).read_text())
    series = _groups(root, "series-")
    assert len(series) == 4
    assert all(len(g.findall(f".//{SVG}path")) >= 1 for g in series)  # each one drawn line
    assert len(_groups(root, "marker-")) == 3
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"load:m", "a", "b", "GPU util %", "GPU memory % of total", "CPU %"} <= texts


def test_without_gpu_only_host_series(tmp_path: Path) -> None:
    ticks = [_tick(0, "a", []), _tick(1, "a", [])]
    info = write_chart(ticks, tmp_path / CHART_FILE)

    assert info is not None and info.series == ["CPU %", "RSS (100% = 501 MiB)"]
    root = ET.fromstring((tmp_path / CHART_FILE).read_text())
    assert len(_groups(root, "series-")) == 2
    assert not any("GPU" in (t.text or "") for t in root.iter(f"{SVG}text"))


def test_fewer_than_two_ticks_write_nothing(tmp_path: Path) -> None:
    assert write_chart([_tick(0, "a", [])], tmp_path / CHART_FILE) is None
    assert not (tmp_path / CHART_FILE).exists()


def test_the_same_ticks_give_the_same_file(tmp_path: Path) -> None:
    ticks = [_tick(0, "a", []), _tick(1, "b", []), _tick(2, "b", [])]
    write_chart(ticks, tmp_path / "one.svg")
    write_chart(ticks, tmp_path / "two.svg")

    assert (tmp_path / "one.svg").read_bytes() == (tmp_path / "two.svg").read_bytes()
