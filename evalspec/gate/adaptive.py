"""An adaptive run's account for the reports: each sequential rule's decision, each unit's budget.

The `AdaptiveAccount` travels with the `GateResult` (the rows themselves take the
decisions through `rules.SequentialFinding`): per rule the units used of the budget, the
running interval and why it stopped, per unit the samples used and the outputs
generated, and the compute saved (1 - samples used / samples the budgets allow).
Intervals are of candidate - baseline in the metric's own direction, like the
rows' confidence intervals.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

SEQUENTIAL_TEST = "sequential-betting"


@dataclass
class AdaptiveRule:
    """One sequential rule in the report: units used of the budget, interval, why it stopped."""

    unit_id: str
    metric: str
    max_drop: float
    state: str  # PASS | FAIL | BUDGET | CONTINUE (stopped undecided: the unit failed)
    n_used: int  # units observed (samples, or clusters)
    budget_n: int
    units: str  # "samples" | "clusters"
    low: float | None
    high: float | None
    confidence: float
    test: str
    reason: str


@dataclass
class AdaptiveUnit:
    """One unit of an adaptive run: samples used of its budget, and what it cost."""

    unit_id: str
    samples_used: int
    budget_samples: int
    generated: int  # outputs the engine generated for this run
    reused: int  # outputs the response cache already held from earlier runs (free)
    looks: int
    stopped: str  # why the unit stopped, in words
    notes: list[str] = field(default_factory=list)


@dataclass
class AdaptiveAccount:
    rules: list[AdaptiveRule] = field(default_factory=list)
    units: list[AdaptiveUnit] = field(default_factory=list)

    @property
    def samples_used(self) -> int:
        return sum(unit.samples_used for unit in self.units)

    @property
    def budget_samples(self) -> int:
        return sum(unit.budget_samples for unit in self.units)

    @property
    def generated(self) -> int:
        return sum(unit.generated for unit in self.units)

    @property
    def reused(self) -> int:
        return sum(unit.reused for unit in self.units)

    @property
    def saved(self) -> float:
        """Share of the budgets' samples the run did not need: 1 - Σ used / Σ budget."""
        budget = self.budget_samples
        return 1.0 - self.samples_used / budget if budget else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": [dataclasses.asdict(rule) for rule in self.rules],
            "units": [dataclasses.asdict(unit) for unit in self.units],
            "samples_used": self.samples_used,
            "budget_samples": self.budget_samples,
            "generated": self.generated,
            "reused": self.reused,
            "saved": round(self.saved, 4),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AdaptiveAccount:
        return cls(
            rules=[AdaptiveRule(**rule) for rule in data.get("rules", [])],
            units=[
                AdaptiveUnit(**{**unit, "notes": list(unit.get("notes", []))})
                for unit in data.get("units", [])
            ],
        )
