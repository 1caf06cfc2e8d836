"""The fixed-n interval an adaptive rule falls back on at its budget, from the gate's statistics.

Per-unit differences that are all -1, 0 or +1 (single samples with binary
outcomes) get Tango's score interval of the paired difference; other
differences the gate's paired t-interval (`stats.mean_difference`), cluster-robust
when units are clusters (item-weighted, as the fixed-n gate does). The interval is
read with the gate's non-inferiority rule (`margin_verdict`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evalspec.gate.compare import CLUSTER_T, PAIRED_T
from evalspec.gate.stats import mean_difference, tango_interval

TANGO = "tango-score"
TOLERANCE = 1e-9  # as the fixed-n rules: an interval end within 1e-9 of -margin counts as on it


@dataclass(frozen=True)
class FixedN:
    """A fixed-n confidence interval of the mean difference and the method that gave it."""

    low: float
    high: float
    confidence: float
    test: str  # tango-score | paired-t | cluster-robust-t


def margin_verdict(low: float, high: float, margin: float) -> str:
    """The gate's rule on an interval of Δ: "PASS" (low ≥ -m), "FAIL" (high < -m) or "WARN"."""
    if low >= -margin - TOLERANCE:
        return "PASS"
    if high < -margin - TOLERANCE:
        return "FAIL"
    return "WARN"


def binary_interval(gained: int, lost: int, n: int, confidence: float) -> FixedN:
    """Tango's interval from the counts of +1 (gained) and -1 (lost) differences among n."""
    low, high = tango_interval(gained, lost, n, confidence)
    return FixedN(low, high, confidence, TANGO)


def fixed_n_interval(
    differences: npt.NDArray[np.float64],
    sizes: npt.NDArray[np.int64],
    confidence: float,
) -> FixedN:
    """The interval of the item-weighted mean difference from per-unit mean differences."""
    singles = bool(np.all(sizes == 1))
    if singles and bool(np.all(np.isin(differences, (-1.0, 0.0, 1.0)))):
        gained = int(np.count_nonzero(differences == 1.0))
        lost = int(np.count_nonzero(differences == -1.0))
        return binary_interval(gained, lost, differences.size, confidence)
    items = [f"i{k}" for k in range(int(sizes.sum()))]
    per_item = np.repeat(differences, sizes).tolist()
    clusters = (
        {}
        if singles
        else {
            item: f"c{unit}"
            for item, unit in zip(items, np.repeat(np.arange(sizes.size), sizes), strict=True)
        }
    )
    interval = mean_difference(
        dict(zip(items, per_item, strict=True)), dict.fromkeys(items, 0.0), clusters, confidence
    )
    return FixedN(interval.low, interval.high, confidence, PAIRED_T if singles else CLUSTER_T)
