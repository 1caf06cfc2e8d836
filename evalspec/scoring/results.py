"""Scores, metrics and per-unit results: what scoring hands to the store, gate and report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Score:
    """The outcome of one sample: value in [0, 1] and what the scorer saw."""

    value: float
    extracted: str | None = None  # the answer the scorer pulled out of the output
    detail: str | None = None  # e.g. the failing assertion, "timeout"
    isolation: str | None = None  # code_exec: the sandbox used ("bwrap" or "rlimits")


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
