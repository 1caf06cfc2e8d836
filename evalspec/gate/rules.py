"""The decision rules of a thresholds rule on one metric: absolute bounds and non-inferiority.

``min`` floors a higher-is-better metric (FAIL below it), ``max`` caps a
lower-is-better one (FAIL above it); each leaves metrics of the other
direction alone.

Non-inferiority with margin m = ``max_drop`` on the paired difference
d = current - baseline (higher is better; mirrored when lower is better), with
the confidence interval [lo, hi] of d at the rule's confidence level c:

- PASS when lo >= -m: the metric is, with confidence c, at most m worse;
- FAIL when hi < -m and the Holm-adjusted p-value of "no change" is below
  1 - c: it is, with confidence c, more than m worse, and the change survives
  the multiplicity correction over all comparisons of the check;
- WARN otherwise: inconclusive, more samples are needed.

In an adaptive run the sequential test decides a `max_drop` rule instead
(`SequentialFinding`, from `evalspec.adaptive`): ``apply(..., sequential=finding)``
keeps the rule's `min` / `max` and takes the finding for its `max_drop`.
"""

from __future__ import annotations

from dataclasses import dataclass

from evalspec.gate.compare import Comparison
from evalspec.gate.verdict import Status
from evalspec.spec.thresholds import ThresholdRule

TOLERANCE = 1e-9
NO_BASELINE = "no baseline for this unit; run `evalspec baseline update`"
NO_BASELINE_METRIC = "no baseline for this metric; run `evalspec baseline update`"

Finding = tuple[Status, str]


@dataclass(frozen=True)
class SequentialFinding:
    """An adaptive run's decision on one max_drop rule of one metric row."""

    status: Status  # PASS, FAIL, or WARN (budget reached inconclusive, or stopped undecided)
    reason: str
    low: float | None  # interval of candidate - baseline: the running one, or the fallback's
    high: float | None
    confidence: float
    p_value: float | None  # Holm-adjusted anytime-valid p-value of the decided side
    test: str  # sequential-betting, or the fixed-n fallback's test at the budget


@dataclass(frozen=True)
class Context:
    """What a rule sees of one metric row."""

    current: float
    higher_is_better: bool
    baseline: float | None  # None: no baseline metric
    has_entry: bool  # the baseline has the unit
    comparison: Comparison | None  # at the rule's confidence level
    p_adjusted: float | None  # Holm-adjusted p-value of "no change"
    family: int  # comparisons in the Holm family
    environment_change: str | None  # fingerprint differences not allowed, or None


def apply(
    rule: ThresholdRule, ctx: Context, sequential: SequentialFinding | None = None
) -> list[Finding]:
    """The rule's findings; with ``sequential`` its max_drop is that adaptive decision."""
    findings: list[Finding] = []
    if rule.min is not None and ctx.higher_is_better and ctx.current < rule.min - TOLERANCE:
        findings.append((Status.FAIL, f"is {ctx.current:.3f}, below min {rule.min:.3f}"))
    if rule.max is not None and not ctx.higher_is_better and ctx.current > rule.max + TOLERANCE:
        findings.append((Status.FAIL, f"is {ctx.current:.3f}, above max {rule.max:.3f}"))
    if rule.max_drop is not None and sequential is not None:
        findings.append(_like_for_like((sequential.status, sequential.reason), ctx))
    elif rule.max_drop is not None:
        findings.append(_non_inferiority(rule.max_drop, ctx))
    return findings


def bound_notes(rules: list[ThresholdRule], higher_is_better: bool) -> list[str]:
    """Why a selected `min` or `max` does not apply to a metric of the other direction."""
    if higher_is_better and any(rule.max is not None for rule in rules):
        return ["max does not apply: it caps lower-is-better metrics"]
    if not higher_is_better and any(rule.min is not None for rule in rules):
        return ["min does not apply: lower is better (its floor is `max`)"]
    return []


def _non_inferiority(margin: float, ctx: Context) -> Finding:
    if ctx.baseline is None or ctx.comparison is None:
        return Status.WARN, NO_BASELINE_METRIC if ctx.has_entry else NO_BASELINE
    return _like_for_like(_decide(margin, ctx, ctx.comparison, ctx.baseline), ctx)


def _like_for_like(finding: Finding, ctx: Context) -> Finding:
    """WARN instead of a verdict when the environment differs from the baseline's."""
    if ctx.environment_change is not None:
        return Status.WARN, f"{finding[1]}; not like-for-like: {ctx.environment_change}"
    return finding


def _decide(margin: float, ctx: Context, comparison: Comparison, baseline: float) -> Finding:
    interval = comparison.interval
    sign = 1.0 if ctx.higher_is_better else -1.0
    # oriented so that positive is better: the interval of sign * d
    worst, best = sorted((sign * interval.low, sign * interval.high))
    level = (
        f"the {comparison.confidence:.0%} CI of the change "
        f"[{interval.low:+.3f}, {interval.high:+.3f}]"
    )
    limit = f"{-sign * margin:+.3f} (max_drop {margin:.3f})"
    side = "below" if ctx.higher_is_better else "above"
    suffix = "" if ctx.higher_is_better else " (lower is better)"
    if worst >= -margin - TOLERANCE:
        return Status.PASS, f"{level} stays within {limit}{suffix}"
    if best >= -margin - TOLERANCE:
        return Status.WARN, f"inconclusive: {level} includes {limit}{suffix}; more samples needed"
    verb = "dropped" if ctx.higher_is_better else "rose"
    what = (
        f"{verb} {abs(ctx.current - baseline):.3f} ({baseline:.3f} → {ctx.current:.3f}): "
        f"{level} lies entirely {side} {limit}{suffix}"
    )
    if ctx.p_adjusted is not None and ctx.p_adjusted >= 1.0 - comparison.confidence:
        return Status.WARN, (
            f"{what}, but the change is not significant after Holm correction over "
            f"{ctx.family} comparisons (p={ctx.p_adjusted:.3g})"
        )
    return Status.FAIL, what
