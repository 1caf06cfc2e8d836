"""Flipped samples for the report: which samples went pass → fail or fail → pass, with excerpts.

The gate names the flipped sample ids per row (``GateRow.flips``): pass → fail
and fail → pass for binary outcomes, worse / better (by more than
``FLIP_THRESHOLD``) for continuous scores such as judge ratings, IFEval's
instruction-level values or pass@k over n samples. The excerpts come from run
records (`Record`s, as the run store reads them), so this module never reads a
run directory itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalspec.gate import GateResult
from evalspec.store import Record

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


def index_records(records: Iterable[Record]) -> dict[RecordKey, Record]:
    """Records by (unit_id, sample_id); the first record of a sample wins (sample_index 0)."""
    index: dict[RecordKey, Record] = {}
    for record in records:
        index.setdefault((record.unit_id, record.sample_id), record)
    return index


def collect_flips(
    result: GateResult,
    candidate_records: Iterable[Record],
    baseline_records: Iterable[Record] | None = None,
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
    candidate: Mapping[RecordKey, Record],
    baseline: Mapping[RecordKey, Record] | None,
) -> SampleExcerpt:
    new = candidate.get((unit_id, sample_id))
    old = baseline.get((unit_id, sample_id)) if baseline is not None else None
    either = new or old
    return SampleExcerpt(
        sample_id=sample_id,
        prompt=_text(either.prompt) if either else None,
        target=_text(either.target) if either else None,
        candidate_output=new.output if new else None,
        baseline_output=old.output if old else None,
        detail=new.detail if new else None,
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
