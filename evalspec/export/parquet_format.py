"""Parquet (pyarrow): the same table as the CSV export, with column types; needs --output."""

from __future__ import annotations

import io
from collections.abc import Sequence

from evalspec.errors import SpecError
from evalspec.export.base import ExportDone, ExportOptions
from evalspec.export.output import write_output
from evalspec.export.rows import columns, rows
from evalspec.history import RunEntry


def export_parquet(entries: Sequence[RunEntry], options: ExportOptions) -> ExportDone:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    if options.output is None:
        raise SpecError("--format parquet writes a binary file: pass --output FILE.parquet")
    types = {"string": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_()}
    schema = pa.schema([(name, types[kind]) for name, kind in columns(options.samples)])
    table = pa.Table.from_pylist(list(rows(entries, options.samples)), schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    write_output(options.output, buffer.getvalue())
    return ExportDone(f"wrote {table.num_rows} rows to {options.output}")
