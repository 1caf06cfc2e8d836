"""Pydantic models of thresholds files v1: the rules a check is gated by."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from evalspec.spec.base import Strict

Confidence = Annotated[float, Field(gt=0.5, lt=1.0)]
Finite = Annotated[float, Field(allow_inf_nan=False)]  # `.nan` or `.inf` never decides a gate


class DropLimit(Strict):
    """A higher-is-better measurement may fall at most this many percent below the baseline."""

    max_drop_pct: Finite = Field(gt=0.0, description="Largest allowed drop, percent of baseline.")


class RiseLimit(Strict):
    """A lower-is-better measurement may rise at most this many percent above the baseline."""

    max_rise_pct: Finite = Field(gt=0.0, description="Largest allowed rise, percent of baseline.")


class PerfLimits(Strict):
    """Relative tolerances on a unit's performance against the baseline's (per unit, not metric)."""

    tokens_per_s: DropLimit | None = Field(None, description="Generation throughput.")
    latency_p95_s: RiseLimit | None = Field(None, description="95th percentile request latency.")
    peak_gpu_memory_mib: RiseLimit | None = Field(
        None, description="Peak GPU memory; WARN when either side did not measure it."
    )


class ThresholdRule(Strict):
    """Gate rule for the metrics it selects (fnmatch patterns on model, adapter, task, metric)."""

    model: str = "*"
    adapter: str = "*"
    task: str = "*"
    metric: str = "*"
    min: Finite | None = Field(
        None,
        description="Absolute floor of a higher-is-better metric: FAIL when it is below min.",
    )
    max: Finite | None = Field(
        None,
        description="Absolute ceiling of a lower-is-better metric (a loss, a latency): FAIL "
        "when it is above max.",
    )
    max_drop: Finite | None = Field(
        None,
        ge=0.0,
        description="Non-inferiority margin against the baseline (absolute): PASS when the "
        "confidence interval of current - baseline lies above -max_drop, FAIL when it lies "
        "below, WARN (more samples needed) when it straddles it. Mirrored for lower-is-better.",
    )
    confidence: Confidence | None = Field(
        None, description="Confidence level of this rule's interval (default: the file's)."
    )
    perf: PerfLimits | None = Field(
        None, description="Performance tolerances for the units this rule selects."
    )

    @model_validator(mode="after")
    def _has_a_bound(self) -> ThresholdRule:
        if self.min is None and self.max is None and self.max_drop is None and self.perf is None:
            raise ValueError("a rule needs `min`, `max`, `max_drop`, `perf` or a combination")
        if self.perf is not None and self.metric != "*":
            raise ValueError("`perf` limits apply to whole units; leave `metric` at '*'")
        return self


class Thresholds(Strict):
    version: Literal[1]
    confidence: Confidence = Field(
        0.95, description="Confidence level of the paired intervals (two-sided)."
    )
    allow_fingerprint_change: list[str] = Field(
        default_factory=list,
        description="Fingerprint keys (engine_version, device, dtype, ...) that may differ "
        "from the baseline's without turning comparisons into WARN.",
    )
    rules: list[ThresholdRule] = Field(default_factory=list)
