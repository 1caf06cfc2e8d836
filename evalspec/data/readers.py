"""Reading data files into located rows, chosen by file name.

JSON Lines (`.jsonl`, one object a line), JSON (`.json`: a list of objects, an object of
objects, or an object holding one list of objects; a `.json` file that is really JSON
Lines is read as such), CSV (`.csv`: a header row, or the format's column names), the
text formats gzipped (`.gz`), Parquet (`.parquet`) and Arrow IPC (`.arrow`: what
`datasets` writes to its cache and with `save_to_disk`). Every reader returns a RowFile
whose digest is the sha256 of the bytes read, so bad data is reported as FILE:LINE,
FILE:item N or FILE:row N. Sizes and nesting are bounded (evalspec.data.limits).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.ipc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from evalspec.data.limits import (
    Limits,
    deep_line,
    depth_message,
    limits,
    may_be_too_deep,
    too_deep,
)
from evalspec.data.rows import Row, RowFile
from evalspec.digests import sha256_bytes
from evalspec.errors import SpecError

TEXT_SUFFIXES = (".jsonl", ".json", ".csv")
BINARY_SUFFIXES = (".parquet", ".arrow")
SUFFIXES = (
    *(s for text in TEXT_SUFFIXES for s in (text, text + ".gz")),
    *BINARY_SUFFIXES,
)
# Files of a `datasets` cache or save_to_disk directory that describe data but hold none.
METADATA_FILES = frozenset(
    {"dataset_info.json", "dataset_infos.json", "dataset_dict.json", "state.json"}
)

_ARROW_ERRORS = (pa.ArrowException, OSError, ValueError)


def data_suffix(path: Path) -> str | None:
    """The supported data suffix of a file name (`.jsonl.gz`, `.csv`, ...), else None."""
    name = path.name.lower()
    return next((s for s in sorted(SUFFIXES, key=len, reverse=True) if name.endswith(s)), None)


def data_stem(path: Path) -> str:
    """The file name without its data suffix (`a_test.csv.gz` -> `a_test`)."""
    suffix = data_suffix(path)
    return path.name[: -len(suffix)] if suffix else path.stem


def is_data_file(path: Path) -> bool:
    """A readable data file by name (metadata files of `datasets` directories excluded)."""
    return data_suffix(path) is not None and path.name not in METADATA_FILES


def unsupported_file(path: Path) -> SpecError:
    """The error for a file no reader handles; lists the supported suffixes."""
    return SpecError(
        f"dataset source {path} is not a supported data file; supported: "
        f"{', '.join(SUFFIXES)} (convert it, e.g. to JSON Lines: one object per line)"
    )


def read_rows(path: Path, csv_columns: tuple[str, ...] | None = None) -> RowFile:
    """Read a data file into rows; `csv_columns` names the columns of a header-less CSV."""
    suffix = data_suffix(path)
    if suffix is None:
        raise unsupported_file(path)
    bounds = limits()
    try:
        size = path.stat().st_size
        if size > bounds.file_bytes:
            raise bounds.file_error(str(path), size)
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the data file ({exc.strerror})") from exc
    digest = sha256_bytes(data)
    if suffix.endswith(".gz"):
        data = _gunzip(path, data, bounds)
        suffix = suffix[: -len(".gz")]
    readers: dict[str, Callable[[str, bytes], list[Row]]] = {
        ".jsonl": partial(_jsonl_rows, bounds=bounds),
        ".json": partial(_json_rows, bounds=bounds),
        ".csv": lambda where, raw: _csv_rows(where, raw, csv_columns, bounds),
        ".parquet": partial(_parquet_rows, bounds=bounds),
        ".arrow": _arrow_rows,
    }
    return RowFile(path=path, digest=digest, rows=readers[suffix](str(path), data))


def _gunzip(path: Path, data: bytes, bounds: Limits) -> bytes:
    """The decompressed bytes, read in chunks: past the size limit it stops (gzip bombs)."""
    chunks: list[bytes] = []
    total = 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            while chunk := stream.read(1 << 20):
                total += len(chunk)
                if total > bounds.file_bytes:
                    raise bounds.file_error(str(path), what="decompresses to")
                chunks.append(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise SpecError(f"{path}: not a readable gzip file ({exc})") from exc
    return b"".join(chunks)


def _jsonl_rows(file: str, data: bytes, bounds: Limits | None = None) -> list[Row]:
    """One JSON object a line; blank lines are skipped. `where` is FILE:LINE."""
    bounds = bounds or limits()
    rows: list[Row] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        where = f"{file}:{number}"
        if len(raw) > bounds.line_bytes:
            raise bounds.line_error(where, len(raw))
        try:
            line = raw.decode("utf-8").strip().lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise SpecError(f"{where}: not UTF-8 text ({exc.reason})") from exc
        if not line:
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SpecError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
        except RecursionError:
            raise SpecError(f"{where}: {depth_message()}") from None
        if may_be_too_deep(raw) and too_deep(value):
            raise SpecError(f"{where}: {depth_message()}")
        if not isinstance(value, dict):
            raise SpecError(f"{where}: expected a JSON object, got {type(value).__name__}")
        rows.append(Row(where=where, line=number, fields=value, file=file))
    return rows


def _json_rows(file: str, data: bytes, bounds: Limits | None = None) -> list[Row]:
    """A JSON document: a list of objects, an object of objects (key -> `_key`), or an
    object with one list of objects ({"data": [...]}); another object is one row at
    FILE:LINE of its start.
    A file of several JSON values, one a line, is JSON Lines under a .json name."""
    try:
        document = json.loads(data)
    except UnicodeDecodeError as exc:
        raise SpecError(f"{file}: not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            return _jsonl_rows(file, data, bounds)
        raise SpecError(
            f"{file}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
        ) from exc
    except RecursionError:
        raise SpecError(f"{file}:{deep_line(data)}: {depth_message()}") from None
    rows = _document_rows(file, data, document)
    if may_be_too_deep(data):
        for row in rows:
            if too_deep(row.fields):
                raise row.error(depth_message())
    return rows


def _document_rows(file: str, data: bytes, document: Any) -> list[Row]:
    """The rows of a parsed JSON document (see _json_rows)."""
    if isinstance(document, list):
        return _items(file, document)
    if not isinstance(document, dict):
        raise SpecError(
            f"{file}: expected a JSON list or object of records, got {type(document).__name__}"
        )
    if document and all(isinstance(v, dict) for v in document.values()):
        return [
            Row(
                where=f"{file}:item {i} (key '{key}')",
                line=i,
                fields={**value, "_key": key},
                unit="item",
                file=file,
            )
            for i, (key, value) in enumerate(document.items())
        ]
    lists = [k for k, v in document.items() if isinstance(v, list) and _all_objects(v)]
    if len(lists) > 1:
        raise SpecError(
            f"{file}: the JSON object has several lists of records "
            f"({', '.join(repr(k) for k in lists)}); keep one per file"
        )
    if lists:
        return _items(file, document[lists[0]])
    line = data[: len(data) - len(data.lstrip())].count(b"\n") + 1  # where the object starts
    return [Row(where=f"{file}:{line}", line=line, fields=document, file=file)]


def _all_objects(values: list[Any]) -> bool:
    return all(isinstance(v, dict) for v in values)


def _items(file: str, items: list[Any]) -> list[Row]:
    rows: list[Row] = []
    for i, item in enumerate(items):
        where = f"{file}:item {i}"
        if not isinstance(item, dict):
            raise SpecError(f"{where}: expected a JSON object, got {type(item).__name__}")
        rows.append(Row(where=where, line=i, fields=item, unit="item", file=file))
    return rows


def _csv_rows(
    file: str, data: bytes, columns: tuple[str, ...] | None, bounds: Limits | None = None
) -> list[Row]:
    """CSV with a header row, or header-less with `columns` (a first row equal to the
    column names is then skipped). `where` is FILE:LINE of the record's first line.
    A field may be as long as a line may (the csv module's limit is process-wide)."""
    bounds = bounds or limits()
    csv.field_size_limit(bounds.line_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpecError(f"{file}:{line}: not UTF-8 text ({exc.reason})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = columns
    rows: list[Row] = []
    next_line = 1
    first = True
    try:
        for record in reader:
            line, next_line = next_line, reader.line_num + 1
            if not record:
                continue
            if header is None:
                header = _header(f"{file}:{line}", record)
            elif (
                first
                and columns
                and [c.strip().lower() for c in record] == [c.lower() for c in columns]
            ):
                pass  # a header row matching the format's columns
            elif len(record) != len(header):
                raise SpecError(
                    f"{file}:{line}: {len(record)} values, expected {len(header)} "
                    f"(columns: {', '.join(header)})"
                )
            else:
                fields = dict(zip(header, record, strict=True))
                rows.append(Row(where=f"{file}:{line}", line=line, fields=fields, file=file))
            first = False
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise bounds.line_error(f"{file}:{next_line}") from None
        raise SpecError(f"{file}:{reader.line_num}: unreadable CSV ({exc})") from exc
    return rows


def _header(where: str, record: list[str]) -> tuple[str, ...]:
    names = tuple(name.strip() for name in record)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(f"{where}: the CSV header repeats column(s) {', '.join(duplicates)}")
    return names


def _parquet_rows(file: str, data: bytes, bounds: Limits | None = None) -> list[Row]:
    """Refused before reading when its uncompressed size is over the file limit."""
    bounds = bounds or limits()
    try:
        meta = pq.ParquetFile(pa.BufferReader(data)).metadata
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if size > bounds.file_bytes:
            raise bounds.file_error(file, size, "decompresses to")
        table = pq.read_table(pa.BufferReader(data))
    except _ARROW_ERRORS as exc:
        raise SpecError(f"{file}: not a readable Parquet file ({exc})") from exc
    return _table_rows(file, table)


def _arrow_rows(file: str, data: bytes) -> list[Row]:
    """Arrow IPC: the stream format `datasets` writes, else the random-access file format."""
    try:
        table = pyarrow.ipc.open_stream(pa.BufferReader(data)).read_all()
    except _ARROW_ERRORS:
        try:
            table = pyarrow.ipc.open_file(pa.BufferReader(data)).read_all()
        except _ARROW_ERRORS as exc:
            raise SpecError(f"{file}: not a readable Arrow IPC file ({exc})") from exc
    return _table_rows(file, table)


def _table_rows(file: str, table: Any) -> list[Row]:
    """Rows of an Arrow table as plain Python values; `where` is FILE:row N (from 0)."""
    try:
        records: list[dict[str, Any]] = table.to_pylist()
    except _ARROW_ERRORS as exc:  # pragma: no cover - types without a Python form
        raise SpecError(f"{file}: cannot convert the table to Python values ({exc})") from exc
    return [
        Row(where=f"{file}:row {i}", line=i, fields=fields, unit="row", file=file)
        for i, fields in enumerate(records)
    ]
