"""Scores, metrics and per-unit results: what scoring hands to the store, gate and report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Score:
    """The outcome of one sample: its value (usually in [0, 1]) and what the scorer saw.

    Scorers that report several metrics per sample (json: json_valid, schema_valid,
    field_match; ifeval: prompt- and instruction-level, strict and loose) put each
    metric's per-sample value in `values`; `value` is the scorer's primary metric.
    `excluded` marks a sample the scorer could not score (a judge reply without a
    parsable rating): it is left out of the metrics and counted, never a silent 0.
    """

    value: float
    extracted: str | None = None  # the answer the scorer pulled out of the output
    detail: str | None = None  # e.g. the failing assertion, "timeout"
    isolation: str | None = None  # code_exec: the sandbox and what held, e.g. "bwrap+cgroup"
    values: dict[str, float] = field(default_factory=dict)
    excluded: bool = False
    # metric -> this sample's weight in a pooled mean (IFEval's inst_level_*: the number
    # of instructions, so the metric is followed / all instructions, as the field reports)
    weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    stderr: float
    n: int
    higher_is_better: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class UnitResult:
    """One unit (model x adapter x task) of a run, as the gate and report see it."""

    unit_id: str  # "model/task" or "model+adapter/task"
    unit_hash: str
    model: str
    adapter: str | None
    task: str
    metrics: dict[str, Metric] = field(default_factory=dict)
    outcomes: dict[str, float] = field(default_factory=dict)  # sample id -> score value
    fingerprint: dict[str, Any] = field(default_factory=dict)
    # sample id -> cluster id for samples that are not independent (e.g. several questions
    # about one passage); the gate then resamples whole clusters. Empty: all independent.
    clusters: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # infrastructure error: the unit produced no scores
    # per-sample values of the metrics whose values differ from `outcomes` (the first
    # metric's): metric -> sample id -> value, so every metric is compared paired
    metric_outcomes: dict[str, dict[str, float]] = field(default_factory=dict)
    # metrics per tag value ("subject=anatomy" -> metric -> Metric): reported, not gated
    slices: dict[str, dict[str, Metric]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # e.g. judge replies without a rating

    def outcomes_for(self, metric: str) -> dict[str, float]:
        """Per-sample values of one metric."""
        return self.metric_outcomes.get(metric, self.outcomes)
