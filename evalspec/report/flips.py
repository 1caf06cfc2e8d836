"""Flipped samples for the report: which samples went pass → fail or fail → pass, with excerpts.

The gate names the flipped sample ids per row (``GateRow.flips``): pass → fail
and fail → pass for binary outcomes, worse / better (by more than
``FLIP_THRESHOLD``) for continuous scores such as judge ratings, IFEval's
instruction-level values or pass@k over n samples. The excerpts come from run
records (plain dicts as ``records.jsonl`` holds them), so this module never
reads a run directory itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalspec.gate import GateResult

PASS_TO_FAIL = "pass_to_fail"
FAIL_TO_PASS = "fail_to_pass"
WORSE = "worse"
BETTER = "better"
# report order: what got worse first
DIRECTIONS = (PASS_TO_FAIL, WORSE, FAIL_TO_PASS, BETTER)
WORSE_DIRECTIONS = frozenset({PASS_TO_FAIL, WORSE})
PER_UNIT = 5  # excerpts shown per unit and direction; the rest are counted
EXCERPT_CHARS = 600

RecordKey = tuple[str, str]  # (unit_id, sample_id)


@dataclass(frozen=True)
class SampleExcerpt:
    sample_id: str
    prompt: str | None
    target: str | None
    candidate_output: str | None
    baseline_output: str | None  # None when the baseline run's records are not here
    detail: str | None  # the scorer's note on the candidate output, e.g. a failing assert


@dataclass(frozen=True)
class FlipGroup:
    """One unit's flips in one direction: up to PER_UNIT excerpts and the total count."""

    unit_id: str
    direction: str  # one of DIRECTIONS
    total: int
    samples: list[SampleExcerpt] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return self.total - len(self.samples)


def index_records(records: Iterable[Mapping[str, Any]]) -> dict[RecordKey, Mapping[str, Any]]:
    """Records by (unit_id, sample_id); the first record of a sample wins (sample_index 0)."""
    index: dict[RecordKey, Mapping[str, Any]] = {}
    for record in records:
        key = (str(record.get("unit_id")), str(record.get("sample_id")))
        index.setdefault(key, record)
    return index


def collect_flips(
    result: GateResult,
    candidate_records: Iterable[Mapping[str, Any]],
    baseline_records: Iterable[Mapping[str, Any]] | None = None,
    per_unit: int = PER_UNIT,
) -> list[FlipGroup]:
    """Flip groups per unit in row order, worse first; each sample id appears once per unit.

    ``baseline_records`` is None when the baseline run's directory is not available:
    the excerpts then carry only the candidate side.
    """
    candidate = index_records(candidate_records)
    baseline = index_records(baseline_records) if baseline_records is not None else None
    ids: dict[tuple[str, str], list[str]] = {}
    for row in result.rows:
        for direction in DIRECTIONS:
            seen = ids.setdefault((row.unit_id, direction), [])
            seen.extend(s for s in row.flips.get(direction, []) if s not in seen)
    groups: list[FlipGroup] = []
    for direction in DIRECTIONS:
        for (unit_id, d), sample_ids in ids.items():
            if d != direction or not sample_ids:
                continue
            excerpts = [
                _excerpt(unit_id, sid, candidate, baseline) for sid in sample_ids[:per_unit]
            ]
            groups.append(FlipGroup(unit_id, direction, len(sample_ids), excerpts))
    return groups


def _excerpt(
    unit_id: str,
    sample_id: str,
    candidate: Mapping[RecordKey, Mapping[str, Any]],
    baseline: Mapping[RecordKey, Mapping[str, Any]] | None,
) -> SampleExcerpt:
    new = candidate.get((unit_id, sample_id), {})
    old = baseline.get((unit_id, sample_id), {}) if baseline is not None else {}
    return SampleExcerpt(
        sample_id=sample_id,
        prompt=_text(new.get("prompt", old.get("prompt"))),
        target=_text(new.get("target", old.get("target"))),
        candidate_output=_text(new.get("output")),
        baseline_output=_text(old.get("output")) if baseline is not None else None,
        detail=_text(new.get("detail")),
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and all(isinstance(m, Mapping) for m in value):
        # chat prompts: [{"role": ..., "content": ...}, ...]
        return "\n".join(f"[{m.get('role', '?')}] {m.get('content', '')}" for m in value)
    return str(value)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The text cut to ``limit`` characters (the start, which holds what the model saw first)."""
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f"\n… ({len(text) - limit} more characters)"
