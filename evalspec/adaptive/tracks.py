"""Each unit's adaptive track: its samples' fixed order, its budget and looks, its sequential rules.

Everything here is settled before any candidate output is seen:

- the population: the unit's samples that have a baseline outcome for every
  metric it gates (a sample without one is left out before looking), grouped into
  units (clusters when samples share one) and ranked by `unit_order` with the seed
  the baseline recorded (else the spec's ``samples.seed``);
- the budget in units: ``max`` samples converted to the longest prefix of the order
  that holds at most that many samples (``full``: the whole population), and the
  looks (`looks`: cumulative units at each decision);
- one `SequentialRule` per thresholds rule with ``max_drop`` on each metric it
  selects, at the rule's confidence, oriented so that higher is better.

A rule the betting test cannot take (no baseline outcomes, a metric whose
per-sample scores have no known bounds, a margin of 0) is judged fixed-n on the
unit's whole budget, so its unit runs to the budget; a unit without sequential
rules simply runs its budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evalspec.adaptive.settings import AdaptiveSettings
from evalspec.errors import SpecError
from evalspec.gate import Baseline, BaselineUnit, rule_matches
from evalspec.gate.sequential import (
    ORDER_METHOD,
    Decision,
    SequentialRule,
    Target,
    looks,
    unit_order,
)
from evalspec.plan import Unit
from evalspec.scoring.results import UnitResult
from evalspec.spec.thresholds import ThresholdRule, Thresholds

# metrics whose per-sample values are not bounded means in [0, 1]: judge ratings lie on
# the rubric's scale (and a reply without one leaves its sample out), IFEval's
# instruction-level accuracies are pooled (each value scaled by the set's mean weight)
UNBOUNDED_SCORERS = frozenset({"judge"})
POOLED_METRICS = frozenset({"inst_level_strict_acc", "inst_level_loose_acc"})
SCORE_SPAN = 1.0
DEFAULT_CONFIDENCE = 0.95

Order = list[tuple[str, ...]]


@dataclass
class Gated:
    """One max_drop rule on one metric of a unit, decided by the sequential test."""

    metric: str
    index: int  # the rule's position in the thresholds file
    rule: ThresholdRule
    sign: float  # +1 when higher is better, -1 when lower is better (differences negated)
    test: SequentialRule
    decision: Decision | None = None  # after the latest look

    def in_metric_direction(self, low: float, high: float) -> tuple[float, float]:
        """An interval of the oriented Δ as one of candidate - baseline of the metric itself."""
        return (low, high) if self.sign > 0 else (-high, -low)


@dataclass
class Track:
    """A unit of the plan on its way through the looks."""

    unit: Unit
    order: Order  # the population's units in observation order
    budget: int  # units
    points: list[int]  # cumulative units at each look
    gated: list[Gated]
    to_budget: bool  # some max_drop rule is judged fixed-n: run the whole budget
    baseline: BaselineUnit | None
    units: str  # "samples" | "clusters"
    notes: list[str] = field(default_factory=list)
    fed: int = 0  # units observed by the rules
    reached: int = 0  # units the latest look ran (more than `fed` when the unit failed there)
    looked: int = 0  # looks done
    generated: int = 0  # outputs the engine generated for this unit
    failed: UnitResult | None = None  # the unit failed at a look: its result (with the error)

    @property
    def unit_id(self) -> str:
        return self.unit.unit_id

    @property
    def sequential(self) -> bool:
        """The unit stops as soon as its rules are decided."""
        return bool(self.gated) and not self.to_budget

    @property
    def done(self) -> bool:
        if self.failed is not None or self.fed >= self.budget:
            return True
        return self.sequential and all(g.test.decision is not None for g in self.gated)

    def next_point(self) -> int:
        """The units the next look observes (cumulative)."""
        return self.points[min(self.looked, len(self.points) - 1)]

    def sample_ids(self, units: int) -> set[str]:
        """The samples of the first ``units`` units of the order."""
        return {sid for unit in self.order[:units] for sid in unit}

    def samples_in(self, units: int) -> int:
        return sum(len(unit) for unit in self.order[:units])


def build_tracks(
    units: tuple[Unit, ...],
    thresholds: Thresholds | None,
    baseline: Baseline | None,
    settings: AdaptiveSettings,
    where: str,
) -> list[Track]:
    """One track per unit of the plan (``where``: the spec's `samples` for errors)."""
    entries = baseline.units if baseline is not None else {}
    return [_track(unit, thresholds, entries.get(unit.unit_id), settings, where) for unit in units]


def _track(
    unit: Unit,
    thresholds: Thresholds | None,
    entry: BaselineUnit | None,
    settings: AdaptiveSettings,
    where: str,
) -> Track:
    notes: list[str] = []
    candidates, to_budget = _candidates(unit, thresholds, entry, notes)
    ids = [sample.id for sample in unit.samples]
    if candidates and entry is not None:
        known = [set(entry.samples_for(metric)) for metric, _, _ in candidates]
        population = [sid for sid in ids if all(sid in k for k in known)]
        if not population:
            notes.append("no sample in common with the baseline: runs its budget")
            candidates, to_budget = [], True
        elif len(population) < len(ids):
            notes.append(
                f"{len(ids) - len(population)} of {len(ids)} samples have no baseline "
                "outcome: left out before looking"
            )
    if not (candidates and entry is not None):
        population = ids
    clusters = {s.id: s.cluster for s in unit.samples if s.cluster}
    seed = _seed(entry, settings, notes, where) if candidates else settings.seed
    order = unit_order(population, seed, clusters)
    budget = _budget(order, settings.max_samples)
    largest = max(len(u) for u in order)
    kind = "clusters" if largest > 1 else "samples"
    gated = []
    for metric, index, rule in candidates:
        assert entry is not None and rule.max_drop is not None
        confidence = rule.confidence or (
            thresholds.confidence if thresholds is not None else DEFAULT_CONFIDENCE
        )
        test = SequentialRule(
            rule.max_drop,
            budget,
            alpha=1.0 - confidence,
            sequential_share=settings.sequential_share,
            target=settings.target,
            population_n=len(order) if settings.target is Target.BENCHMARK else None,
            max_cluster_size=largest,
            score_span=SCORE_SPAN,
        )
        sign = 1.0 if entry.metrics[metric].higher_is_better else -1.0
        gated.append(Gated(metric, index, rule, sign, test))
    points = looks(budget, settings.first_look, settings.every)
    return Track(unit, order, budget, points, gated, to_budget, entry, kind, notes)


def _candidates(
    unit: Unit, thresholds: Thresholds | None, entry: BaselineUnit | None, notes: list[str]
) -> tuple[list[tuple[str, int, ThresholdRule]], bool]:
    """(metric, rule index, rule) the sequential test decides, and whether any max_drop rule
    is left to a fixed-n test on the whole budget."""
    if thresholds is None:
        return [], False
    probe = UnitResult(
        unit.unit_id,
        unit.hash,
        unit.model.id,
        unit.adapter.id if unit.adapter else None,
        unit.task.id,
    )
    found: list[tuple[str, int, ThresholdRule]] = []
    to_budget = False
    for metric in unit.task.metric_names:
        for index, rule in enumerate(thresholds.rules):
            if rule.max_drop is None or not rule_matches(rule, probe, metric):
                continue
            why = _not_sequential(unit, entry, metric, rule.max_drop)
            if why is None:
                found.append((metric, index, rule))
            else:
                to_budget = True
                notes.append(
                    f"{metric} max_drop {rule.max_drop:g}: {why}: judged fixed-n on the "
                    "whole budget"
                )
    return found, to_budget


def _not_sequential(
    unit: Unit, entry: BaselineUnit | None, metric: str, margin: float
) -> str | None:
    """Why the sequential test cannot decide this rule (None: it can)."""
    if entry is None:
        return "no baseline for this unit"
    if metric not in entry.metrics or not entry.samples_for(metric):
        return "the baseline has no per-sample outcomes of it"
    if unit.task.scorer.type in UNBOUNDED_SCORERS or metric in POOLED_METRICS:
        return "its per-sample scores are not means in [0, 1]"
    if not 0.0 < margin < SCORE_SPAN:
        return "a margin outside (0, 1) cannot be tested sequentially"
    values = entry.samples_for(metric).values()
    if any(not 0.0 <= value <= SCORE_SPAN for value in values):
        return "the baseline's per-sample scores leave [0, 1]"
    return None


def _seed(
    entry: BaselineUnit | None, settings: AdaptiveSettings, notes: list[str], where: str
) -> int:
    """The order's seed: the baseline's (never re-drawn), else the spec's samples.seed."""
    order = entry.order if entry is not None else None
    if order is None:
        notes.append(
            f"the baseline records no sample order: drawn from samples.seed {settings.seed} "
            "(`evalspec baseline update` records it)"
        )
        return settings.seed
    if order.method != ORDER_METHOD:
        raise SpecError(
            f"{where}: the baseline's sample order uses method {order.method!r}, which this "
            f"evalspec does not know ({ORDER_METHOD}); upgrade evalspec or update the baseline"
        )
    if order.seed != settings.seed:
        notes.append(f"sample order from the baseline's seed {order.seed}")
    return order.seed


def _budget(order: Order, max_samples: int | None) -> int:
    """Units in the budget: the longest prefix holding at most ``max_samples`` (at least one)."""
    if max_samples is None:
        return len(order)
    total = 0
    for count, unit in enumerate(order):
        total += len(unit)
        if total > max_samples:
            return max(count, 1)
    return len(order)
