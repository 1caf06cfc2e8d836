"""Whole `RunEntry` objects read back from the index (what `export --history` writes out)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from evalspec.history.entries import MetricEntry, PerfVerdict, RunEntry, SampleEntry, UnitEntry
from evalspec.history.index import HistoryIndex

# the entries' scalar fields, in the order of their table's columns
ENTRY_PARTS = ("units", "metrics", "perf_verdicts", "samples")
RUN_FIELDS = tuple(f.name for f in fields(RunEntry) if f.name not in ENTRY_PARTS)
METRIC_FIELDS = tuple(f.name for f in fields(MetricEntry))
PERF_FIELDS = tuple(f.name for f in fields(PerfVerdict))


def load_entries(
    index: HistoryIndex,
    *,
    spec: str | None = None,
    since: datetime | None = None,
    samples: bool = False,
) -> list[RunEntry]:
    """Every indexed run (of `spec`, started at or after `since`), oldest first; their
    per-sample values only when `samples`."""
    where, params = ["1"], list[object]()
    if spec is not None:
        where.append("spec = ?")
        params.append(spec)
    if since is not None:
        where.append("started_ts >= ?")
        params.append((since if since.tzinfo else since.replace(tzinfo=UTC)).timestamp())
    runs = index.select(
        f"SELECT {', '.join(RUN_FIELDS)} FROM runs WHERE {' AND '.join(where)} ORDER BY started_ts",
        params,
    )
    picked = f"SELECT run_id FROM runs WHERE {' AND '.join(where)}"
    units = _grouped(index, f"SELECT * FROM units WHERE run_id IN ({picked})", params)
    metrics = _grouped(index, f"SELECT * FROM metrics WHERE run_id IN ({picked})", params)
    perf = _grouped(index, f"SELECT * FROM perf_verdicts WHERE run_id IN ({picked})", params)
    kept = (
        _grouped(index, f"SELECT * FROM samples WHERE run_id IN ({picked})", params)
        if samples
        else {}
    )
    return [
        RunEntry(
            **_named(RUN_FIELDS, row, flags=("git_dirty",)),
            units=tuple(_unit(u) for u in units.get(row[0], [])),
            metrics=tuple(_metric(m) for m in metrics.get(row[0], [])),
            perf_verdicts=tuple(_perf(p) for p in perf.get(row[0], [])),
            samples=tuple(
                SampleEntry(unit_id, metric, sample_id, value)
                for _, unit_id, metric, sample_id, value in kept.get(row[0], [])
            ),
        )
        for row in runs
    ]


def _grouped(index: HistoryIndex, sql: str, params: list[Any]) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in index.select(sql, params):
        out[row[0]].append(row)
    return out


def _unit(row: tuple[Any, ...]) -> UnitEntry:
    _, unit_id, unit_hash, model, adapter, task, error, fingerprint, *_, perf = row
    return UnitEntry(
        unit_id, unit_hash, model, adapter, task, error, json.loads(fingerprint), json.loads(perf)
    )


def _metric(row: tuple[Any, ...]) -> MetricEntry:
    values = _named(METRIC_FIELDS, row[1:], flags=("higher_is_better",))
    values["reasons"] = tuple(json.loads(values["reasons"]))
    return MetricEntry(**values)


def _perf(row: tuple[Any, ...]) -> PerfVerdict:
    values = _named(PERF_FIELDS, row[1:])
    values["reasons"] = tuple(json.loads(values["reasons"]))
    return PerfVerdict(**values)


def _named(
    names: tuple[str, ...], values: tuple[Any, ...], flags: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Column values by field name; `flags` (SQLite 0/1, NULL) as bool | None."""
    named = dict(zip(names, values, strict=True))
    for flag in flags:
        named[flag] = None if named[flag] is None else bool(named[flag])
    return named
