"""Reading Parquet and Arrow IPC files (written here with pyarrow) into located rows."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.ipc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from evalspec.data.readers import read_rows
from evalspec.errors import SpecError

RECORDS: list[dict[str, Any]] = [
    {
        "question": "q0",
        "choices": ["a", "b"],
        "answer": 1,
        "meta": {"level": "Level 2", "tags": ["x"]},
    },
    {"question": "q1", "choices": ["c", "d"], "answer": 0, "meta": {"level": "L", "tags": []}},
]


def write_parquet(path: Path, records: list[dict[str, Any]]) -> Path:
    pq.write_table(pa.Table.from_pylist(records), path)
    return path


def write_arrow_stream(path: Path, records: list[dict[str, Any]]) -> Path:
    """The IPC stream format `datasets` writes to its cache and with save_to_disk."""
    table = pa.Table.from_pylist(records)
    with pa.OSFile(str(path), "wb") as sink, pyarrow.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return path


def test_parquet_nested_values_become_plain_python(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "test-00000-of-00001.parquet", RECORDS)
    rows = read_rows(path)
    assert [r.fields for r in rows.rows] == RECORDS
    assert [r.where for r in rows.rows] == [f"{path}:row 0", f"{path}:row 1"]
    assert rows.rows[0].position == "row 0"
    assert rows.digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_arrow_stream_format_is_read(tmp_path: Path) -> None:
    path = write_arrow_stream(tmp_path / "data-00000-of-00001.arrow", RECORDS)
    rows = read_rows(path)
    assert [r.fields for r in rows.rows] == RECORDS
    assert rows.rows[1].where == f"{path}:row 1"


def test_arrow_file_format_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "d.arrow"
    table = pa.Table.from_pylist(RECORDS)
    with pa.OSFile(str(path), "wb") as sink, pyarrow.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    assert [r.fields["question"] for r in read_rows(path).rows] == ["q0", "q1"]


def test_corrupt_columnar_files_are_spec_errors(tmp_path: Path) -> None:
    (tmp_path / "d.parquet").write_bytes(b"not parquet")
    with pytest.raises(SpecError, match=r"d\.parquet: not a readable Parquet file"):
        read_rows(tmp_path / "d.parquet")
    (tmp_path / "d.arrow").write_bytes(b"not arrow")
    with pytest.raises(SpecError, match=r"d\.arrow: not a readable Arrow IPC file"):
        read_rows(tmp_path / "d.arrow")
