"""Baseline v1: the committed reference a run is gated against, and how it changes.

A baseline holds, per unit id, the unit's content hash and fingerprint, its
metrics (with standard errors), its per-sample scores (and sample clusters when
the task has them) and its performance (``PERF_MEASURES``), all floats rounded
to ``DECIMALS`` so the file is stable and diffs well in git.

A unit also records the seeded order in which an adaptive run observes its
samples (``order``: method, seed, digest and the number of units, see
`evalspec.gate.sequential.order`), fixed before any candidate is looked at and
kept across updates; baselines written before adaptive gating have none (the
adaptive run then draws the order from the spec's ``samples.seed``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evalspec.errors import SpecError
from evalspec.scoring.results import UnitResult

BASELINE_VERSION = 1
DECIMALS = 6
# performance measurements a baseline keeps per unit (keys of the run's perf dicts)
PERF_MEASURES = ("tokens_per_s", "latency_p95_s", "peak_gpu_memory_mib")


def rounded(value: float) -> float:
    return round(value, DECIMALS)


class _Frozen(BaseModel):
    # NaN and infinities compare to nothing: a baseline holding one would decide by accident
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class BaselineMetric(_Frozen):
    value: float
    stderr: float
    n: int
    higher_is_better: bool = True


class SampleOrder(_Frozen):
    """The seeded order of a unit's samples (or clusters) for adaptive runs; never re-drawn."""

    method: str  # ORDER_METHOD of evalspec.gate.sequential.order
    seed: int
    digest: str  # order_digest of the ordered units
    units: int  # N: units (samples, or clusters) with an outcome


class BaselineUnit(_Frozen):
    hash: str
    model: str
    adapter: str | None
    task: str
    fingerprint: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, BaselineMetric]
    samples: dict[str, float] = Field(default_factory=dict)
    # per-sample values of metrics that differ from `samples` (the first metric's)
    metric_samples: dict[str, dict[str, float]] = Field(default_factory=dict)
    clusters: dict[str, str] = Field(default_factory=dict)

    def samples_for(self, metric: str) -> dict[str, float]:
        return self.metric_samples.get(metric, self.samples)

    perf: dict[str, float] = Field(default_factory=dict)
    order: SampleOrder | None = None


class Provenance(_Frozen):
    run_id: str
    git_sha: str | None
    created: str


class Baseline(_Frozen):
    version: Literal[1]
    spec: str
    provenance: Provenance
    units: dict[str, BaselineUnit]


def baseline_from_results(
    spec_name: str,
    run_id: str,
    git_sha: str | None,
    units: Sequence[UnitResult],
    perf: Mapping[str, Mapping[str, Any]] | None = None,
    previous: Baseline | None = None,
    order_seed: int | None = None,
) -> Baseline:
    """The baseline a run's results (and perf: unit id -> measurements) define.

    Units the run did not complete, and values that are not finite numbers, are
    refused. A unit the run did not measure like a full run (all or some of its
    outputs came from the response cache) keeps the perf of its entry in ``previous``.
    With ``order_seed`` each unit records its samples' order for adaptive runs, with
    the seed of its entry in ``previous`` when that has one (an order is never re-drawn).
    """
    perf = perf or {}
    entries: dict[str, BaselineUnit] = {}
    for unit in units:
        if unit.error is not None:
            raise SpecError(
                f"run {run_id} did not complete unit {unit.unit_id} ({unit.error}); "
                "fix the failure and rerun before updating the baseline"
            )
        if unit.unit_id in entries:
            raise SpecError(f"run {run_id} reports unit {unit.unit_id} twice")
        measured = perf.get(unit.unit_id, {})
        entry_perf = {} if _from_cache(measured) else _perf_entry(measured)
        before = previous.units.get(unit.unit_id) if previous is not None else None
        if not entry_perf and before is not None:
            entry_perf = dict(before.perf)
        seed = before.order.seed if before is not None and before.order else order_seed
        try:
            entries[unit.unit_id] = _entry(unit, entry_perf, seed)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(part) for part in first["loc"])
            raise SpecError(
                f"run {run_id} unit {unit.unit_id}: {key}: {first['msg']}; "
                "such a result cannot become a baseline"
            ) from None
    return Baseline(
        version=BASELINE_VERSION,
        spec=spec_name,
        provenance=Provenance(
            run_id=run_id,
            git_sha=git_sha,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        ),
        units=entries,
    )


def unmeasured_units(
    units: Sequence[UnitResult], perf: Mapping[str, Mapping[str, Any]] | None
) -> list[str]:
    """Ids of the units a run did not measure like a full run: all or some of their outputs
    came from the response cache, or nothing was measured."""
    perf = perf or {}
    return [
        unit.unit_id
        for unit in units
        if _from_cache(perf.get(unit.unit_id, {})) or not _perf_entry(perf.get(unit.unit_id, {}))
    ]


def _from_cache(measured: Mapping[str, Any]) -> bool:
    """Some outputs came from the cache: throughput and latency are not a full run's."""
    cached = measured.get("cached_outputs")
    return bool(measured.get("cached")) or (isinstance(cached, int) and cached > 0)


def _entry(unit: UnitResult, perf: dict[str, float], seed: int | None) -> BaselineUnit:
    """The unit's baseline entry (validated from plain data, so errors name the full key)."""
    # imported here: the sequential package's fallback reads the gate's statistics, which
    # read this module
    from evalspec.gate.sequential import ORDER_METHOD, order_digest, unit_order

    units = unit_order(unit.outcomes, seed, unit.clusters) if seed is not None else None
    return BaselineUnit.model_validate(
        {
            "hash": unit.unit_hash,
            "model": unit.model,
            "adapter": unit.adapter,
            "task": unit.task,
            "fingerprint": dict(unit.fingerprint),
            "metrics": {
                name: {
                    "value": rounded(m.value),
                    "stderr": rounded(m.stderr),
                    "n": m.n,
                    "higher_is_better": m.higher_is_better,
                }
                for name, m in unit.metrics.items()
            },
            "samples": {sid: rounded(score) for sid, score in unit.outcomes.items()},
            "metric_samples": {
                metric: {sid: rounded(score) for sid, score in values.items()}
                for metric, values in unit.metric_outcomes.items()
            },
            "clusters": dict(unit.clusters),
            "perf": perf,
            "order": None
            if units is None
            else {
                "method": ORDER_METHOD,
                "seed": seed,  # not None: `units` was drawn with it
                "digest": order_digest(units),
                "units": len(units),
            },
        }
    )


def _perf_entry(measured: Mapping[str, Any]) -> dict[str, float]:
    """The known PERF_MEASURES of a unit, rounded; unmeasured ones are left out (run files
    hold only finite numbers: `UnitPerf` refuses anything else)."""
    return {
        name: rounded(float(value))
        for name in PERF_MEASURES
        if isinstance(value := measured.get(name), int | float) and not isinstance(value, bool)
    }


def describe_changes(old: Baseline | None, new: Baseline) -> list[str]:
    """Human-readable lines saying how `new` differs from `old`; empty when nothing changed."""
    before = old.units if old is not None else {}
    lines: list[str] = []
    for unit_id in sorted(before.keys() | new.units.keys()):
        if unit_id not in new.units:
            lines.append(f"removed unit {unit_id}")
        elif unit_id not in before:
            names = ", ".join(new.units[unit_id].metrics) or "no metrics"
            lines.append(f"added unit {unit_id} ({names})")
        else:
            lines.extend(_unit_changes(unit_id, before[unit_id], new.units[unit_id]))
    return lines


def _unit_changes(unit_id: str, old: BaselineUnit, new: BaselineUnit) -> list[str]:
    lines: list[str] = []
    if old.hash != new.hash:
        lines.append(f"{unit_id}: configuration hash {old.hash[:12]} -> {new.hash[:12]}")
    for name in sorted(old.metrics.keys() | new.metrics.keys()):
        if name not in new.metrics:
            lines.append(f"{unit_id} {name}: removed (was {old.metrics[name].value:.3f})")
        elif name not in old.metrics:
            lines.append(f"{unit_id} {name}: added ({new.metrics[name].value:.3f})")
        elif old.metrics[name].value != new.metrics[name].value:
            was, now = _pair(old.metrics[name].value, new.metrics[name].value)
            lines.append(f"{unit_id} {name}: {was} -> {now}")
    for name in PERF_MEASURES:
        before, after = old.perf.get(name), new.perf.get(name)
        if before != after:
            lines.append(f"{unit_id} {name}: {_measure(before)} -> {_measure(after)}")
    if old.order != new.order and new.order is not None:
        lines.append(
            f"{unit_id}: sample order for adaptive runs {new.order.method}, seed "
            f"{new.order.seed}, {new.order.units} units"
        )
    if old.samples.keys() != new.samples.keys():
        lines.append(
            f"{unit_id}: sample set changed ({len(old.samples)} -> {len(new.samples)} samples)"
        )
    return lines


def _measure(value: float | None) -> str:
    return "unmeasured" if value is None else f"{value:g}"


def _pair(was: float, now: float) -> tuple[str, str]:
    """Two values at 3 decimals, or at full baseline precision where 3 would hide the change."""
    digits = 3 if f"{was:.3f}" != f"{now:.3f}" else DECIMALS
    return f"{was:.{digits}f}", f"{now:.{digits}f}"
