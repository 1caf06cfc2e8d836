"""Performance gates: a unit's tokens/s, p95 latency and peak GPU memory against the baseline's.

Every measure either side has gets one PerfRow (without a matching rule it is
shown for information and passes). A measure a matching rule's ``perf`` names is
judged with the tightest tolerance among those rules: FAIL when throughput fell by more
than ``max_drop_pct`` percent of the baseline, or latency / memory rose by
more than ``max_rise_pct`` percent; WARN when either side did not measure it,
or when the fingerprint (device, engine) differs and that is not allowed; ERROR
when the run recorded NaN or an infinity (a broken measurement, never compared).
A baseline cannot hold one (``read_baseline`` refuses it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalspec.gate.baseline import BaselineUnit
from evalspec.gate.verdict import PerfRow, Status
from evalspec.scoring.results import UnitResult
from evalspec.spec.thresholds import PerfLimits, ThresholdRule

TOLERANCE = 1e-9
HIGHER_IS_BETTER = {"tokens_per_s": True, "latency_p95_s": False, "peak_gpu_memory_mib": False}


def perf_rows(
    unit: UnitResult,
    rules: Sequence[ThresholdRule],
    entry: BaselineUnit | None,
    measured: Mapping[str, Any],
    environment_change: str | None,
) -> list[PerfRow]:
    tolerances = _tolerances([rule.perf for rule in rules if rule.perf is not None])
    partial = _partial(measured)
    rows: list[PerfRow] = []
    for measure in HIGHER_IS_BETTER:
        tolerance = tolerances.get(measure)
        current = _number(measured.get(measure))
        baseline = entry.perf.get(measure) if entry is not None else None
        change = (current - baseline) / baseline * 100 if current is not None and baseline else None
        if tolerance is None:
            if current is None and baseline is None:
                continue
            status, reasons = Status.PASS, list[str]()  # for information: no rule gates it
        else:
            status, reasons = _judge(
                measure, tolerance, baseline, current, change, entry is not None
            )
            if partial is not None and status in (Status.PASS, Status.FAIL):
                status, reasons = Status.WARN, [partial]
            if environment_change is not None and status in (Status.PASS, Status.FAIL):
                status, reasons = (
                    Status.WARN,
                    [*reasons, f"not like-for-like: {environment_change}"],
                )
        rows.append(
            PerfRow(
                unit_id=unit.unit_id,
                model=unit.model,
                adapter=unit.adapter,
                task=unit.task,
                measure=measure,
                baseline=baseline,
                current=current,
                change_pct=round(change, 2) if change is not None else None,
                tolerance_pct=tolerance,
                status=status,
                reasons=reasons,
            )
        )
    return rows


def _partial(measured: Mapping[str, Any]) -> str | None:
    """Why a partly cached unit's measures are not comparable (None: fully measured)."""
    cached, generated = measured.get("cached_outputs"), measured.get("measured_outputs")
    if measured.get("cached") or not isinstance(cached, int) or cached <= 0:
        return None
    total = cached + (generated if isinstance(generated, int) else 0)
    return (
        f"partly cached: measured on {generated} of {total} outputs (the rest came from the "
        "response cache), so not comparable; rerun with --no-cache to measure"
    )


def _tolerances(limits: list[PerfLimits]) -> dict[str, float]:
    """The tightest tolerance per measure, in HIGHER_IS_BETTER's order."""
    found: dict[str, float] = {}
    for limit in limits:
        for measure, value in (
            ("tokens_per_s", limit.tokens_per_s.max_drop_pct if limit.tokens_per_s else None),
            ("latency_p95_s", limit.latency_p95_s.max_rise_pct if limit.latency_p95_s else None),
            (
                "peak_gpu_memory_mib",
                limit.peak_gpu_memory_mib.max_rise_pct if limit.peak_gpu_memory_mib else None,
            ),
        ):
            if value is not None:
                found[measure] = min(value, found.get(measure, value))
    return {m: found[m] for m in HIGHER_IS_BETTER if m in found}


def _judge(
    measure: str,
    tolerance: float,
    baseline: float | None,
    current: float | None,
    change: float | None,
    has_entry: bool,
) -> tuple[Status, list[str]]:
    if not has_entry:
        return Status.WARN, ["no baseline for this unit; run `evalspec baseline update`"]
    if baseline is None or baseline <= 0:
        return Status.WARN, [f"{measure} not measured in the baseline"]
    if current is None or change is None:
        return Status.WARN, [f"{measure} not measured in this run"]
    if HIGHER_IS_BETTER[measure]:
        if -change > tolerance + TOLERANCE:
            return Status.FAIL, [
                f"{measure} dropped {-change:.1f}% ({baseline:g} → {current:g}), "
                f"more than max_drop_pct {tolerance:g}"
            ]
    elif change > tolerance + TOLERANCE:
        return Status.FAIL, [
            f"{measure} rose {change:.1f}% ({baseline:g} → {current:g}), "
            f"more than max_rise_pct {tolerance:g}"
        ]
    return Status.PASS, []


def _number(value: Any) -> float | None:
    """A measurement as a float; None when it is missing (run files hold finite numbers only)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
