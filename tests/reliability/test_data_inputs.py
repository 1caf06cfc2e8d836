"""Issue 12, dataset inputs: hostile data files fail fast, small and in one line (exit 2).

A row nested 100,000 deep, a gzip bomb, an endless line and oversized Parquet stop
with FILE:LINE (or FILE:item N) and what to do; memory stays bounded (the child's
peak RSS is measured); the limits are configurable and bad settings are usage errors.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from inputs_cli import evalspec, usage_error, workspace

from evalspec.data.limits import DEFAULT_DATA_MB, MAX_DEPTH
from evalspec.data.readers import read_rows
from evalspec.errors import SpecError

DEEP = 100_000


def _deep_row(depth: int) -> str:
    return '{"prompt": "p", "target": "t", "x": ' + "[" * depth + "]" * depth + "}"


def test_row_nested_100000_deep_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    workspace(tmp_path)
    with (tmp_path / "data.jsonl").open("a", encoding="utf-8") as out:
        out.write(_deep_row(DEEP) + "\n")
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path)
    usage_error(
        proc,
        rf"^error: spec\.yaml:8: tasks\[0\]\.dataset\.source: .*data\.jsonl:5: JSON nested "
        rf"more than {MAX_DEPTH} levels deep; flatten the row$",
    )


def test_row_nested_past_the_limit_but_parseable_is_refused(tmp_path: Path) -> None:
    """Deep enough to break later stages (repr, json.dumps), shallow enough to parse."""
    path = tmp_path / "d.jsonl"
    # the row's object is the first level: _deep_row(d) nests d + 1 levels
    path.write_text(_deep_row(MAX_DEPTH - 1) + "\n" + _deep_row(MAX_DEPTH) + "\n")
    with pytest.raises(SpecError, match=rf"^{path}:2: JSON nested more than {MAX_DEPTH} levels"):
        read_rows(path)


@pytest.mark.parametrize("depth", [DEEP, MAX_DEPTH + 1])
def test_json_document_nested_too_deep_names_its_location(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "d.json"
    rows = [{"prompt": "a", "target": "b"}, json.loads(_deep_row(50))]
    text = json.dumps(rows, indent=1)[:-2] + ",\n" + _deep_row(depth) + "\n]"
    path.write_text(text, encoding="utf-8")
    where = "item 2" if depth <= 900 else str(text[: text.index("[" * 60)].count("\n") + 1)
    with pytest.raises(SpecError, match=rf"^{path}:{where}: JSON nested more than"):
        read_rows(path)


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    row = {"prompt": "[" * 500 + '\\"{' * 200, "target": "]" * 500}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert read_rows(path).rows[0].fields == row


def test_gzip_bomb_stops_at_the_size_limit_with_bounded_memory(tmp_path: Path) -> None:
    """2 MB of gzip that decompresses to 2 GiB (32 members of 64 MiB of zeros) used to
    reach 4 GB of RSS before failing; now it stops at the default 512 MB limit with one
    line, and the child's own peak RSS (wait4) stays within the limit plus what a valid
    `validate` of the same spec takes, plus slack."""
    ws = workspace(tmp_path)
    baseline_mb, ok = _peak_rss_mb(tmp_path)
    assert ok.returncode == 0, ok.stderr
    member = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    (tmp_path / "bomb.jsonl.gz").write_bytes(member * 32)
    assert (tmp_path / "bomb.jsonl.gz").stat().st_size < 2_500_000
    ws.edit("spec.yaml", "source: data.jsonl", "source: bomb.jsonl.gz")
    peak_mb, proc = _peak_rss_mb(tmp_path)
    usage_error(
        proc,
        rf"bomb\.jsonl\.gz: decompresses to more than {DEFAULT_DATA_MB:g} MB of data, above the "
        rf"limit of {DEFAULT_DATA_MB:g} MB per data file; split the file, or raise "
        r"EVALSPEC_MAX_DATA_MB",
    )
    assert peak_mb < baseline_mb + DEFAULT_DATA_MB + 150, (peak_mb, baseline_mb)


def _peak_rss_mb(cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `evalspec validate spec.yaml` (default limits) and measure that child's peak
    RSS with os.wait4 (bounded wait: the command is killed after 120 s)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALSPEC_MAX_")}
    with (cwd / "out.txt").open("w+") as out, (cwd / "err.txt").open("w+") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "evalspec.cli", "validate", "spec.yaml"],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=err,
        )
        timer = threading.Timer(120, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(child.args, child.returncode, out.read(), err.read())
    return usage.ru_maxrss / 1024, done


def test_endless_line_stops_at_the_line_limit(tmp_path: Path) -> None:
    workspace(tmp_path)
    with (tmp_path / "data.jsonl").open("a", encoding="utf-8") as out:
        out.write('{"prompt": "' + "x" * 2_100_000 + '", "target": "1"}\n')
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path, env={"EVALSPEC_MAX_LINE_MB": "2"})
    usage_error(
        proc,
        r"data\.jsonl:5: the line is 2\.1 MB, above the limit of 2 MB per line; fix the row, "
        r"or raise EVALSPEC_MAX_LINE_MB",
    )


def test_plain_file_over_the_size_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"prompt": "a", "target": "b"}\n' * 40_000, encoding="utf-8")
    monkeypatch.setenv("EVALSPEC_MAX_DATA_MB", "1")
    with pytest.raises(SpecError, match=rf"^{path}: holds 1\.2 MB of data, above the limit"):
        read_rows(path)


def test_parquet_refused_by_its_uncompressed_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "d.parquet"
    # distinct values (no dictionary encoding): 3 MB uncompressed, about 1 kB as zstd
    table = pa.table({"prompt": [f"{i}" + "a" * 100_000 for i in range(30)], "target": ["b"] * 30})
    pq.write_table(table, path, compression="zstd")
    assert path.stat().st_size < 100_000
    monkeypatch.setenv("EVALSPEC_MAX_DATA_MB", "1")
    with pytest.raises(SpecError, match=r"d\.parquet: decompresses to 3\.0 MB of data, above"):
        read_rows(path)
    monkeypatch.setenv("EVALSPEC_MAX_DATA_MB", "4")
    assert len(read_rows(path).rows) == 30


@pytest.mark.parametrize("name", ["EVALSPEC_MAX_DATA_MB", "EVALSPEC_MAX_LINE_MB"])
@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "lots"])
def test_bad_limit_settings_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"prompt": "a", "target": "b"}\n', encoding="utf-8")
    monkeypatch.setenv(name, value)
    with pytest.raises(SpecError, match=rf"^{name}='{value}': expected a number of megabytes"):
        read_rows(path)


def test_bad_limit_setting_exits_2_from_the_cli(tmp_path: Path) -> None:
    workspace(tmp_path)
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path, env={"EVALSPEC_MAX_DATA_MB": "inf"})
    usage_error(proc, r"EVALSPEC_MAX_DATA_MB='inf': expected a number of megabytes above 0")


def test_csv_field_over_the_line_limit_names_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "d.csv"
    path.write_text('prompt,target\nq,1\n"' + "a\n" * 150_000 + '",2\n', encoding="utf-8")
    monkeypatch.setenv("EVALSPEC_MAX_LINE_MB", "0.2")
    with pytest.raises(SpecError, match=rf"^{path}:3: a field is above the limit of 0\.2 MB"):
        read_rows(path)
    monkeypatch.setenv("EVALSPEC_MAX_LINE_MB", "1")
    assert len(read_rows(path).rows) == 2
