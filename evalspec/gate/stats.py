"""Paired statistics for the gate: score intervals, exact McNemar, seeded bootstraps, Holm.

Everything here is a pure function of its inputs (bootstraps take an explicit
seed), so the same inputs always give the same interval and p-value.

- Binary outcomes: the confidence interval of the paired difference of
  proportions is Tango's asymptotic score interval (Tango 1998), which keeps
  close to nominal coverage down to small n and stays informative when no
  sample changed (it is ±z²/(n+z²) there, not the degenerate [0, 0] of a
  Wald or bootstrap interval). The test of "no change" is exact McNemar
  (the pass->fail count among the discordant pairs is Binomial(b+c, 1/2)).
- Continuous scores: a seeded percentile bootstrap of the mean paired
  difference, resampling samples, or whole clusters when samples share one.
- Without per-sample pairs: a normal interval from the two standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

BOOTSTRAP_RESAMPLES = 4000
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


def paired_bootstrap(
    differences: Sequence[float],
    confidence: float,
    seed: int,
    clusters: Sequence[str] | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Interval:
    """Percentile bootstrap of the mean paired difference; whole clusters resampled if given.

    The p-value of "no difference" is the two-sided bootstrap p-value
    2 min(P*(mean <= 0), P*(mean >= 0)), with the +1 correction so it is never 0.
    """
    diffs = np.asarray(differences, dtype=np.float64)
    if diffs.size == 0:
        raise ValueError("a paired bootstrap needs at least one pair")
    rng = np.random.Generator(np.random.PCG64(seed))
    if clusters is None:
        picks = rng.integers(0, diffs.size, size=(resamples, diffs.size))
        means = diffs[picks].mean(axis=1)
    else:
        sums, counts = _cluster_totals(diffs, clusters)
        picks = rng.integers(0, sums.size, size=(resamples, sums.size))
        means = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    alpha = 1.0 - confidence
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    at_or_below = (np.count_nonzero(means <= 1e-12) + 1) / (resamples + 1)
    at_or_above = (np.count_nonzero(means >= -1e-12) + 1) / (resamples + 1)
    return Interval(float(low), float(high), min(1.0, 2.0 * min(at_or_below, at_or_above)))


def _cluster_totals(diffs: np.ndarray, clusters: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    index: dict[str, int] = {}
    codes = np.array([index.setdefault(c, len(index)) for c in clusters], dtype=np.int64)
    sums = np.bincount(codes, weights=diffs, minlength=len(index))
    counts = np.bincount(codes, minlength=len(index)).astype(np.float64)
    return sums, counts


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
