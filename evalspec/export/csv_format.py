"""CSV: a header, then one row per (run, unit, metric), or per sample with --samples."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from evalspec.export.base import ExportDone, ExportOptions
from evalspec.export.output import deliver_text
from evalspec.export.rows import columns, rows
from evalspec.history import RunEntry


def export_csv(entries: Sequence[RunEntry], options: ExportOptions) -> ExportDone:
    buffer = io.StringIO()
    names = [name for name, _ in columns(options.samples)]
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows(entries, options.samples):
        writer.writerow(row)
        count += 1
    return deliver_text(buffer.getvalue(), options, f"{count} rows")
