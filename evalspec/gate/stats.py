"""Paired statistics for the gate: score intervals, exact McNemar, paired t-intervals, Holm.

Everything here is a pure function of its inputs, so the same inputs always
give the same interval and p-value.

- Binary outcomes: the confidence interval of the paired difference of
  proportions is Tango's asymptotic score interval (Tango 1998), which keeps
  close to nominal coverage down to small n and stays informative when no
  sample changed (it is ±z²/(n+z²) there, not the degenerate [0, 0] of a
  Wald or bootstrap interval). The test of "no change" is exact McNemar
  (the pass->fail count among the discordant pairs is Binomial(b+c, 1/2)).
- Everything else (continuous scores; binary outcomes when samples share
  clusters or the two sample sets differ): a t-interval of the difference of
  the means from its linearised variance, cluster-robust when samples share a
  cluster, with a floor on the standard error (``mean_difference``).
- Without per-sample pairs: a normal interval from the two standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from scipy.special import stdtr, stdtrit

_BISECTIONS = 80


@dataclass(frozen=True)
class Interval:
    """Interval of a difference (current - baseline) and the p-value of "no difference"."""

    low: float
    high: float
    p_value: float


def z_value(confidence: float) -> float:
    """The two-sided normal quantile of a confidence level (1.96 for 0.95)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def mcnemar_exact_p(gained: int, lost: int) -> float:
    """Two-sided exact McNemar p-value: 2 P(X <= min) for X ~ Binomial(gained + lost, 1/2)."""
    discordant = gained + lost
    if discordant == 0:
        return 1.0
    tail = sum(math.comb(discordant, k) for k in range(min(gained, lost) + 1))
    return min(1.0, 2.0 * tail / 2.0**discordant)


def tango_z(gained: int, lost: int, n: int, delta0: float) -> float:
    """Tango's score statistic for H0: p_current - p_baseline = delta0.

    ``gained``: samples that fail in the baseline and pass now; ``lost``: the reverse.
    """
    a = 2.0 * n
    b = -gained - lost + (2.0 * n - gained + lost) * delta0
    c = -lost * delta0 * (1.0 - delta0)
    p_lost = (math.sqrt(max(b * b - 4.0 * a * c, 0.0)) - b) / (2.0 * a)
    numerator = gained - lost - n * delta0
    variance = n * (2.0 * p_lost + delta0 * (1.0 - delta0))
    if abs(numerator) < 1e-12:
        return 0.0
    if variance <= 0.0:
        return math.copysign(math.inf, numerator)
    return numerator / math.sqrt(variance)


def tango_interval(gained: int, lost: int, n: int, confidence: float) -> tuple[float, float]:
    """Tango's score interval for the paired difference of proportions (inverted by bisection)."""
    if n <= 0:
        raise ValueError("a paired interval needs at least one pair")
    z = z_value(confidence)
    estimate = (gained - lost) / n
    low = _bisect(lambda d: tango_z(gained, lost, n, d) > z, -1.0, estimate)
    high = _bisect(lambda d: tango_z(gained, lost, n, d) >= -z, estimate, 1.0)
    return low, high


def _bisect(inside_left: Callable[[float], bool], left: float, right: float) -> float:
    """The boundary in [left, right] where ``inside_left(x)`` turns from True to False."""
    for _ in range(_BISECTIONS):
        middle = (left + right) / 2
        if inside_left(middle):
            left = middle
        else:
            right = middle
    return (left + right) / 2


def paired_binary(gained: int, lost: int, n: int, confidence: float) -> Interval:
    low, high = tango_interval(gained, lost, n, confidence)
    return Interval(low, high, mcnemar_exact_p(gained, lost))


def mean_difference(
    current: Mapping[str, float],
    baseline: Mapping[str, float],
    clusters: Mapping[str, str],
    confidence: float,
) -> Interval:
    """t-interval of mean(current) - mean(baseline) over whole, partly paired sample sets.

    Sample ids on both sides are pairs; ids on one side only are independent
    draws. The estimate is the difference of the two whole-set means, written as a
    sum of one contribution per id (c/|C| - b/|B| for a pair, c/|C| or -b/|B|
    otherwise), and its variance is the linearised variance of that sum: each of
    the three strata (pairs, current only, baseline only) centred on its own
    mean, then summed per cluster when samples share one (cluster-robust, G/(G-1),
    t on G-1 degrees of freedom), else per stratum (n/(n-1), Welch-Satterthwaite
    degrees of freedom). With identical sets and no clusters this is the paired
    t-interval. The standard error is never below R/N, N the independent units
    (samples, or clusters when samples share them) and R the range of the scores
    (at least 1): the standard error of N differences of which exactly one moved
    by R, so an unchanged result keeps an honest width when N is small.
    """
    ids = sorted(current.keys() | baseline.keys())
    if not current or not baseline:
        raise ValueError("a mean difference needs samples on both sides")
    contributions = np.array(
        [current.get(i, 0.0) / len(current) - baseline.get(i, 0.0) / len(baseline) for i in ids]
    )
    strata = np.array([(i in current) + 2 * (i in baseline) for i in ids])
    residuals = contributions.copy()
    for stratum in np.unique(strata):
        inside = strata == stratum
        residuals[inside] -= contributions[inside].mean()
    codes, groups = _codes([clusters.get(i, f"\0{i}") for i in ids])
    if groups < len(ids):  # some samples share a cluster
        totals = np.bincount(codes, weights=residuals, minlength=groups)
        variance = groups / (groups - 1) * float(np.sum(totals**2)) if groups > 1 else 0.0
        df = float(groups - 1)
    else:
        variance, df = _stratified(residuals, strata)
    values = [*current.values(), *baseline.values()]
    scale = max(1.0, max(values) - min(values))
    se = max(math.sqrt(variance), scale / groups)
    df = max(df, 1.0)
    estimate = float(contributions.sum())
    half = float(stdtrit(df, 0.5 + confidence / 2)) * se
    p_value = min(1.0, 2.0 * float(stdtr(df, -abs(estimate) / se)))
    return Interval(estimate - half, estimate + half, p_value)


def _codes(labels: Sequence[str]) -> tuple[np.ndarray, int]:
    index: dict[str, int] = {}
    codes = np.array([index.setdefault(label, len(index)) for label in labels], dtype=np.int64)
    return codes, len(index)


def _stratified(residuals: np.ndarray, strata: np.ndarray) -> tuple[float, float]:
    """Variance of the sum (each stratum with its n/(n-1)) and its Satterthwaite df."""
    parts: list[tuple[float, int]] = []
    for stratum in np.unique(strata):
        inside = residuals[strata == stratum]
        if inside.size > 1:
            parts.append((inside.size / (inside.size - 1) * float(np.sum(inside**2)), inside.size))
    variance = sum(v for v, _ in parts)
    denominator = sum(v * v / (n - 1) for v, n in parts)
    df = variance**2 / denominator if denominator > 0 else float(residuals.size - 1)
    return variance, df


def unpaired_normal(delta: float, stderr_a: float, stderr_b: float, confidence: float) -> Interval:
    """Normal interval delta ± z sqrt(se_a² + se_b²) and its two-sided p-value."""
    se = math.hypot(stderr_a, stderr_b)
    if se == 0.0:
        return Interval(delta, delta, 1.0 if abs(delta) < 1e-12 else 0.0)
    z = z_value(confidence)
    p = 2.0 * (1.0 - NormalDist().cdf(abs(delta) / se))
    return Interval(delta - z * se, delta + z * se, p)


def holm(p_values: Mapping[int, float]) -> dict[int, float]:
    """Holm step-down adjusted p-values, keyed like the input."""
    order = sorted(p_values, key=lambda key: (p_values[key], key))
    count = len(order)
    adjusted: dict[int, float] = {}
    running = 0.0
    for rank, key in enumerate(order):
        running = max(running, min(1.0, (count - rank) * p_values[key]))
        adjusted[key] = running
    return adjusted
