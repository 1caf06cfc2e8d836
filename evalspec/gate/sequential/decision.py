"""One gate rule decided sequentially: anytime-valid margin test, α split, fallback at the budget.

A rule with margin m (``max_drop``) and level α (1 - confidence) tests the mean
paired difference Δ = E[candidate - baseline] (oriented so that higher is better)
against -m from both sides, on units observed in a seeded order (`order.py`):

- FAIL when the wealth against H_fail: "Δ ≥ -m" reaches 2/α_seq (evidence of a drop
  of more than m), PASS when the wealth against H_pass: "Δ ≤ -m" does (evidence of
  a drop of less than m); the anytime-valid p-value of each is 1 / its running
  maximum wealth (`betting.py`), Holm-adjusted across the rules of a check
  (`decide_all`);
- at the budget, undecided: the fixed-n interval of the gate (`fallback.py`) at
  confidence 1 - α_fb / k (Bonferroni over the k rules of the check), read with the
  gate's rule: PASS when low ≥ -m, FAIL when high < -m, else BUDGET (inconclusive,
  a WARN for the gate).

The α split: α_seq = share · α, α_fb = (1 - share) · α. By Ville's inequality the
sequential test errs on one side with probability at most α_seq / 2 however often
it looks, the fallback at most α_fb / 2 (a union bound), so each side errs with
probability at most α / 2, the fixed-n gate's figure. Holm on anytime-valid
p-values keeps each side's family-wise error: the first true null Holm rejects
had a p-value at most α_seq / (2 k0) at that time, and each of the k0 true nulls
gets there with probability at most that, at any time.

Targets:

- ``population`` (default): Δ is the model's expected difference on the task's
  distribution of which the benchmark's units are a sample, as in the fixed-n gate;
  the order makes the units i.i.d. draws (betting with replacement).
- ``benchmark``: Δ is the mean difference over all N units of the benchmark, the
  figure a full run would measure; the units are drawn without replacement, which
  decides much earlier near N. With a budget of all N units the full benchmark is
  known at the end, so no fallback is needed and α_seq = α (a tie Δ = -m exactly
  stays BUDGET).

Units: single samples, or clusters (documents) whose samples move together. A unit
j contributes its mean difference d_j over its n_j samples; the test runs on
Y_j = n_j (d_j - δ) / n_max ∈ [-(1 + δ), 1 - δ] for the null δ = -m (n_max: the
largest cluster, known before looking), whose mean has the sign of Δ - δ for the
item-weighted Δ = E[n d] / E[n], the mean the fixed-n gate estimates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from evalspec.gate.sequential.betting import FloatArray, Wealth, advance
from evalspec.gate.sequential.fallback import FixedN, fixed_n_interval, margin_verdict
from evalspec.gate.stats import holm

DEFAULT_SEQUENTIAL_SHARE = 0.8
GRID_POINTS = 401  # candidate means of the reported interval: -1, -0.995, ..., 1 (and -m)
SEQUENTIAL = "sequential"
EXACT = "exact"  # the benchmark's remaining units cannot change the side of -m


class Target(StrEnum):
    POPULATION = "population"  # the model's expected difference (units i.i.d.)
    BENCHMARK = "benchmark"  # the mean over all N units of the benchmark


class State(StrEnum):
    CONTINUE = "CONTINUE"  # undecided, budget left: observe the next batch
    PASS = "PASS"
    FAIL = "FAIL"
    BUDGET = "BUDGET"  # budget reached, still inconclusive (the gate's WARN)


@dataclass(frozen=True)
class Decision:
    """Where one rule stands after a look; final once ``state`` is not CONTINUE."""

    state: State
    reason: str
    n_used: int  # units observed (samples, or clusters)
    items_used: int  # samples observed
    budget_n: int  # units
    estimate: float | None  # item-weighted mean difference so far (None before any unit)
    low: float  # anytime-valid interval of Δ at 1 - α_seq (per rule, before Holm), on a grid
    high: float
    e_pass: float  # running max wealth against "Δ ≤ -m" (inf once settled)
    e_fail: float  # running max wealth against "Δ ≥ -m"
    p_pass: float  # anytime-valid p-value of "Δ ≤ -m", Holm-adjusted over the family
    p_fail: float  # anytime-valid p-value of "Δ ≥ -m", Holm-adjusted over the family
    method: str | None  # sequential | exact | tango-score | paired-t | cluster-robust-t
    fallback: FixedN | None = None

    @property
    def final(self) -> bool:
        return self.state is not State.CONTINUE

    @property
    def share_used(self) -> float:
        return self.n_used / self.budget_n


class SequentialRule:
    """The sequential test of one non-inferiority rule; pure state, no I/O.

    Feed per-unit differences (candidate - baseline, higher is better) in the
    recorded order with ``observe`` (or ``observe_pairs``), then ``decide_all``
    over all rules of the check after each batch (``update`` = observe + decide for
    a rule alone). Observations after the rule is decided are ignored, so a task
    can keep feeding all its rules until the last one is decided.
    """

    def __init__(
        self,
        margin: float,
        budget_n: int,
        *,
        alpha: float = 0.05,
        sequential_share: float = DEFAULT_SEQUENTIAL_SHARE,
        target: Target = Target.POPULATION,
        population_n: int | None = None,
        max_cluster_size: int = 1,
        score_span: float = 1.0,
    ) -> None:
        """``margin`` and differences are in score units, scores span ``score_span`` (1 for [0, 1]).

        ``budget_n`` and ``population_n`` (the benchmark's N, required for the
        benchmark target) count units.
        """
        if not 0.0 < margin < score_span:
            raise ValueError(f"margin {margin} must lie in (0, {score_span})")
        if not 0.0 < alpha < 1.0 or not 0.0 < sequential_share <= 1.0:
            raise ValueError("alpha must lie in (0, 1) and sequential_share in (0, 1]")
        if budget_n < 1 or max_cluster_size < 1:
            raise ValueError("budget_n and max_cluster_size must be at least 1")
        if target is Target.BENCHMARK and (population_n is None or population_n < budget_n):
            raise ValueError("the benchmark target needs population_n >= budget_n")
        self.margin = margin
        self.budget_n = budget_n
        self.alpha = alpha
        self.target = target
        self.population_n = population_n if target is Target.BENCHMARK else None
        self.max_cluster_size = max_cluster_size
        self.score_span = score_span
        self.exact_at_budget = target is Target.BENCHMARK and population_n == budget_n
        share = 1.0 if self.exact_at_budget else sequential_share
        self.alpha_sequential = share * alpha
        self.alpha_fallback = alpha - self.alpha_sequential
        null = -margin / score_span
        self._grid = np.union1d(np.round(np.linspace(-1.0, 1.0, GRID_POINTS), 12), [null])
        self._null = int(np.flatnonzero(self._grid == null)[0])
        self._wealth = Wealth.start(self._grid.shape)
        self._differences: list[float] = []  # per unit, in [-1, 1] (score / score_span)
        self._sizes: list[int] = []
        self._final: Decision | None = None

    @property
    def n_used(self) -> int:
        return len(self._sizes)

    @property
    def threshold(self) -> float:
        """2 / α_seq: the wealth at which a side is rejected (one rule alone)."""
        return 2.0 / self.alpha_sequential

    @property
    def decision(self) -> Decision | None:
        """The final decision, once there is one."""
        return self._final

    def observe(
        self, differences: Sequence[float] | FloatArray, sizes: Sequence[int] | None = None
    ) -> None:
        """The next units in order: each one's mean difference over its ``sizes`` samples (1)."""
        if self._final is not None:
            return
        diffs = np.asarray(differences, dtype=np.float64).reshape(-1) / self.score_span
        counts = np.ones(diffs.size, np.int64) if sizes is None else np.asarray(sizes, np.int64)
        if counts.shape != diffs.shape:
            raise ValueError("one size per difference")
        if diffs.size == 0:
            return
        if not np.all(np.isfinite(diffs)) or np.any(np.abs(diffs) > 1.0 + 1e-9):
            raise ValueError(f"differences must lie in [-{self.score_span}, {self.score_span}]")
        if np.any(counts < 1) or np.any(counts > self.max_cluster_size):
            raise ValueError(f"unit sizes must lie in [1, {self.max_cluster_size}]")
        if self.n_used + diffs.size > self.budget_n:
            raise ValueError(f"{self.n_used + diffs.size} units exceed the budget {self.budget_n}")
        diffs = np.clip(diffs, -1.0, 1.0)
        weight = counts / self.max_cluster_size
        y = weight[None, :] * (diffs[None, :] - self._grid[:, None])  # Y_j for every δ
        low, high = -(1.0 + self._grid), 1.0 - self._grid
        self._wealth = advance(self._wealth, y, low, high, self.population_n).end
        self._differences.extend(diffs.tolist())
        self._sizes.extend(counts.tolist())

    def observe_pairs(
        self,
        baseline: Sequence[float],
        candidate: Sequence[float],
        sizes: Sequence[int] | None = None,
    ) -> None:
        """``observe`` the differences candidate - baseline of per-unit scores."""
        before = np.asarray(baseline, dtype=np.float64)
        after = np.asarray(candidate, dtype=np.float64)
        if before.shape != after.shape:
            raise ValueError("baseline and candidate need one score per unit each")
        self.observe(after - before, sizes)

    def update(
        self, differences: Sequence[float] | FloatArray, sizes: Sequence[int] | None = None
    ) -> Decision:
        """``observe`` and decide this rule alone (a family of one)."""
        self.observe(differences, sizes)
        return decide_all([self])[0]

    def p_values(self) -> tuple[float, float]:
        """Raw anytime-valid p-values of "Δ ≤ -m" (PASS side) and "Δ ≥ -m" (FAIL side)."""
        e_pass, e_fail = self._e_values()
        return 1.0 / e_pass, 1.0 / e_fail

    def conclude(self, p_pass: float, p_fail: float, family: int) -> Decision:
        """The decision given this look's Holm-adjusted p-values in a family of ``family`` rules."""
        if self._final is not None:
            return self._final
        level = self.alpha_sequential / 2
        passed, failed = p_pass <= level, p_fail <= level
        if passed or failed:
            state = State.FAIL if failed and p_fail <= p_pass else State.PASS
            return self._keep(state, p_pass, p_fail, self._sequential_reason(state, family))
        if self.n_used < self.budget_n:
            return self._decision(State.CONTINUE, "", p_pass, p_fail, None)
        if self.exact_at_budget:
            reason = f"the whole benchmark's change equals -{self.margin:g} (max_drop): a tie"
            return self._keep(State.BUDGET, p_pass, p_fail, reason)
        if self.alpha_fallback <= 0.0:
            reason = f"budget of {self.budget_n} {self._units()} reached undecided (no fallback)"
            return self._keep(State.BUDGET, p_pass, p_fail, reason)
        return self._fallback(p_pass, p_fail, family)

    def _fallback(self, p_pass: float, p_fail: float, family: int) -> Decision:
        confidence = 1.0 - self.alpha_fallback / family
        diffs = np.asarray(self._differences, dtype=np.float64)
        interval = fixed_n_interval(diffs, np.asarray(self._sizes, np.int64), confidence)
        span = self.score_span
        fixed = FixedN(interval.low * span, interval.high * span, confidence, interval.test)
        verdict = margin_verdict(fixed.low, fixed.high, self.margin)
        state = State.BUDGET if verdict == "WARN" else State(verdict)
        outcome = {
            State.PASS: f"stays within -{self.margin:g}",
            State.FAIL: f"lies entirely below -{self.margin:g}",
            State.BUDGET: f"includes -{self.margin:g}: inconclusive",
        }[state]
        reason = (
            f"budget of {self.budget_n} {self._units()} reached undecided; the fixed-n "
            f"{confidence:.2%} interval ({fixed.test}) [{fixed.low:+.3f}, {fixed.high:+.3f}] "
            f"{outcome}"
        )
        return self._keep(state, p_pass, p_fail, reason, fixed)

    def _sequential_reason(self, state: State, family: int) -> str:
        e_pass, e_fail = self._e_values()
        settled = e_pass if state is State.PASS else e_fail
        where = f"after {self.n_used} of {self.budget_n} {self._units()}"
        if math.isinf(settled):
            side = "above" if state is State.PASS else "below"
            left = (self.population_n or 0) - self.n_used
            whatever = f" whatever the {left} {self._units()} left score" if left else ""
            return (
                f"decided {state} {where}: the benchmark's change is {side} "
                f"-{self.margin:g} (max_drop){whatever}"
            )
        claim = "less" if state is State.PASS else "more"
        holm_note = f", Holm over {family} rules" if family > 1 else ""
        return (
            f"decided {state} {where}: anytime-valid evidence of a drop of {claim} than "
            f"{self.margin:g} (max_drop): e-value {settled:.3g}, threshold {self.threshold:.3g}"
            f"{holm_note}"
        )

    def _keep(
        self,
        state: State,
        p_pass: float,
        p_fail: float,
        reason: str,
        fallback: FixedN | None = None,
    ) -> Decision:
        self._final = self._decision(state, reason, p_pass, p_fail, fallback)
        return self._final

    def _decision(
        self, state: State, reason: str, p_pass: float, p_fail: float, fallback: FixedN | None
    ) -> Decision:
        e_pass, e_fail = self._e_values()
        low, high = self._interval()
        if state is State.CONTINUE:
            method = None
        elif fallback is not None:
            method = fallback.test
        elif math.isinf(e_pass if state is State.PASS else e_fail) or state is State.BUDGET:
            method = EXACT
        else:
            method = SEQUENTIAL
        return Decision(
            state=state,
            reason=reason,
            n_used=self.n_used,
            items_used=sum(self._sizes),
            budget_n=self.budget_n,
            estimate=self._estimate(),
            low=low,
            high=high,
            e_pass=e_pass,
            e_fail=e_fail,
            p_pass=p_pass,
            p_fail=p_fail,
            method=method,
            fallback=fallback,
        )

    def _e_values(self) -> tuple[float, float]:
        """Running max wealth against "Δ ≤ -m" and "Δ ≥ -m" (1 / the raw p-values)."""
        return (
            math.exp(float(self._wealth.max_up[self._null])),
            math.exp(float(self._wealth.max_down[self._null])),
        )

    def _estimate(self) -> float | None:
        if not self._sizes:
            return None
        sizes = np.asarray(self._sizes, dtype=np.float64)
        mean = float(np.dot(self._differences, sizes) / sizes.sum())
        return mean * self.score_span

    def _interval(self) -> tuple[float, float]:
        """The confidence sequence at 1 - α_seq on the grid, widened to the last rejected points.

        δ is out below when the wealth against "Δ ≤ δ" reached 2/α_seq, out above when
        the wealth against "Δ ≥ δ" did; ``low`` is the highest grid point at and below
        which every point is out below (-1 if none), ``high`` likewise from above. The
        grid's ends ±1 are left out: no data can reject them.
        """
        limit = math.log(self.threshold)
        inner = self._grid[1:-1]
        below = _leading_true(self._wealth.max_up[1:-1] >= limit)
        above = _leading_true(self._wealth.max_down[1:-1][::-1] >= limit)
        low = inner[below - 1] if below else -1.0
        high = inner[inner.size - above] if above else 1.0
        return float(low) * self.score_span, float(high) * self.score_span

    def _units(self) -> str:
        return "samples" if self.max_cluster_size == 1 else "clusters"


def _leading_true(flags: npt.NDArray[np.bool_]) -> int:
    """How many entries at the start of ``flags`` are True."""
    return int(flags.size if flags.all() else np.argmin(flags))


def decide_all(rules: Sequence[SequentialRule]) -> list[Decision]:
    """Decide every rule of a check at one look, Holm-adjusting each side's p-values over them.

    Decided rules keep their decision (and frozen p-values, which still count in
    the family); the family size k also sets each fallback's Bonferroni level.
    Each rule compares its adjusted p-values with its own α_seq / 2: with rules of
    different confidence levels the family's error is bounded by the largest.
    """
    raw = [rule.p_values() for rule in rules]
    pass_adjusted = holm({i: p for i, (p, _) in enumerate(raw)})
    fail_adjusted = holm({i: p for i, (_, p) in enumerate(raw)})
    family = len(rules)
    return [
        rule.conclude(pass_adjusted[i], fail_adjusted[i], family) for i, rule in enumerate(rules)
    ]
