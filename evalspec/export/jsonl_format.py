"""JSON lines: one object per (run, unit, metric), or per sample with --samples."""

from __future__ import annotations

import json
from collections.abc import Sequence

from evalspec.export.base import ExportDone, ExportOptions
from evalspec.export.output import deliver_text
from evalspec.export.rows import rows
from evalspec.history import RunEntry


def export_jsonl(entries: Sequence[RunEntry], options: ExportOptions) -> ExportDone:
    lines = [
        json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n"
        for row in rows(entries, options.samples)
    ]
    return deliver_text("".join(lines), options, f"{len(lines)} rows")
