"""The flat rows the file formats share: one per (run, unit, metric), or per sample.

Column order and types are fixed here (`METRIC_COLUMNS`, `SAMPLE_COLUMNS`), so CSV,
JSON lines and Parquet exports of the same runs hold the same table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from evalspec.history import RunEntry
from evalspec.history.entries import PERF_COLUMNS

RUN_FIELDS: tuple[tuple[str, str], ...] = (
    ("run_id", "string"),
    ("spec", "string"),
    ("spec_digest", "string"),
    ("started_at", "string"),
    ("git_sha", "string"),
    ("git_branch", "string"),
    ("git_dirty", "bool"),
    ("run_status", "string"),
    ("gate_status", "string"),
)
UNIT_FIELDS: tuple[tuple[str, str], ...] = (
    ("unit_id", "string"),
    ("unit_hash", "string"),
    ("model", "string"),
    ("adapter", "string"),
    ("task", "string"),
    ("metric", "string"),
)
METRIC_COLUMNS: tuple[tuple[str, str], ...] = (
    *RUN_FIELDS,
    *UNIT_FIELDS,
    ("value", "float"),
    ("stderr", "float"),
    ("n", "int"),
    ("higher_is_better", "bool"),
    ("status", "string"),
    ("baseline", "float"),
    ("delta", "float"),
    ("ci_low", "float"),
    ("ci_high", "float"),
    ("p_value", "float"),
    *((name, "float") for name in PERF_COLUMNS),
)
SAMPLE_COLUMNS: tuple[tuple[str, str], ...] = (
    *RUN_FIELDS,
    *UNIT_FIELDS,
    ("sample_id", "string"),
    ("value", "float"),
)


def columns(samples: bool) -> tuple[tuple[str, str], ...]:
    return SAMPLE_COLUMNS if samples else METRIC_COLUMNS


def rows(entries: Sequence[RunEntry], samples: bool) -> Iterator[dict[str, Any]]:
    """Each row a dict in column order; None where a value is unknown."""
    return sample_rows(entries) if samples else metric_rows(entries)


def metric_rows(entries: Sequence[RunEntry]) -> Iterator[dict[str, Any]]:
    for entry in entries:
        units = {u.unit_id: u for u in entry.units}
        for m in entry.metrics:
            unit = units.get(m.unit_id)
            yield {
                **_run(entry),
                "unit_id": m.unit_id,
                "unit_hash": unit.unit_hash if unit else None,
                "model": m.model,
                "adapter": m.adapter,
                "task": m.task,
                "metric": m.metric,
                "value": m.value,
                "stderr": m.stderr,
                "n": m.n,
                "higher_is_better": m.higher_is_better,
                "status": m.status,
                "baseline": m.baseline,
                "delta": m.delta,
                "ci_low": m.ci_low,
                "ci_high": m.ci_high,
                "p_value": m.p_value,
                **{name: unit.measure(name) if unit else None for name in PERF_COLUMNS},
            }


def sample_rows(entries: Sequence[RunEntry]) -> Iterator[dict[str, Any]]:
    for entry in entries:
        units = {u.unit_id: u for u in entry.units}
        for s in entry.samples:
            unit = units[s.unit_id]
            yield {
                **_run(entry),
                "unit_id": s.unit_id,
                "unit_hash": unit.unit_hash,
                "model": unit.model,
                "adapter": unit.adapter,
                "task": unit.task,
                "metric": s.metric,
                "sample_id": s.sample_id,
                "value": s.value,
            }


def _run(entry: RunEntry) -> dict[str, Any]:
    return {
        "run_id": entry.run_id,
        "spec": entry.spec,
        "spec_digest": entry.spec_digest,
        "started_at": entry.started_at,
        "git_sha": entry.git_sha,
        "git_branch": entry.git_branch,
        "git_dirty": entry.git_dirty,
        "run_status": entry.status,
        "gate_status": entry.gate_status,
    }
