"""One metric of a run against its baseline: pairing samples and picking the statistical test.

The comparison is of the two whole-set means, the figures the row shows.
Binary outcomes on the same independent samples get Tango's score interval
and exact McNemar; everything else (continuous scores, samples that share a
cluster, sample sets that differ) a t-interval of the difference of means
that pairs the ids both sides have and counts the others as independent
samples (``mean_difference``). Without per-sample values the comparison falls
back to the two standard errors, and says so in its notes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from evalspec.gate.baseline import BaselineMetric, BaselineUnit, rounded
from evalspec.gate.stats import Interval, mean_difference, paired_binary, unpaired_normal
from evalspec.scoring.results import Metric, UnitResult

MCNEMAR = "mcnemar-exact"
PAIRED_T = "paired-t"
CLUSTER_T = "cluster-robust-t"
PARTIAL_T = "partially-paired-t"
UNPAIRED = "unpaired-normal"
FLIP_THRESHOLD = 0.5  # a continuous score "flips" when it moves by more than this
_MEAN_TOLERANCE = 1e-5  # the metric is the mean of the per-sample scores (at baseline precision)


@dataclass(frozen=True)
class Comparison:
    """current - baseline for one metric: interval, test, pairs and what changed."""

    interval: Interval
    confidence: float
    test: str
    n_paired: int | None
    flips: dict[str, list[str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def compare(
    unit: UnitResult,
    metric: Metric,
    entry: BaselineUnit,
    reference: BaselineMetric,
    confidence: float,
) -> Comparison:
    current = {sid: rounded(score) for sid, score in unit.outcomes_for(metric.name).items()}
    baseline = entry.samples_for(metric.name)
    common = sorted(current.keys() & baseline.keys())
    if not baseline:
        reason = "the baseline has no per-sample outcomes"
    elif not common:
        reason = "no sample in common with the baseline"
    elif not (_is_mean(current, metric.value) and _is_mean(baseline, reference.value)):
        reason = f"{metric.name} is not the mean of the per-sample scores"
    else:
        return _paired(current, baseline, common, {**entry.clusters, **unit.clusters}, confidence)
    delta = rounded(metric.value) - reference.value
    interval = unpaired_normal(delta, metric.stderr, reference.stderr, confidence)
    changed = _sample_set_change(current, baseline)
    notes = (*changed, f"unpaired comparison from standard errors: {reason}")
    return Comparison(interval, confidence, UNPAIRED, None, {}, notes)


def _paired(
    current: dict[str, float],
    baseline: dict[str, float],
    common: list[str],
    clusters: Mapping[str, str],
    confidence: float,
) -> Comparison:
    same_set = len(common) == len(current) == len(baseline)
    clustered = _shares_clusters(current.keys() | baseline.keys(), clusters)
    binary = all(v in (0.0, 1.0) for v in [*current.values(), *baseline.values()])
    flips = _flips(common, current, baseline, binary)
    notes = tuple(
        f"{change}; the interval compares the whole sets ({len(common)} paired, the rest as "
        "independent samples)"
        for change in _sample_set_change(current, baseline)
    )
    if binary and same_set and not clustered:
        lost, gained = len(flips["pass_to_fail"]), len(flips["fail_to_pass"])
        interval = paired_binary(gained, lost, len(common), confidence)
        return Comparison(interval, confidence, MCNEMAR, len(common), flips, notes)
    interval = mean_difference(current, baseline, clusters, confidence)
    test = CLUSTER_T if clustered else PAIRED_T if same_set else PARTIAL_T
    return Comparison(interval, confidence, test, len(common), flips, notes)


def _flips(
    ids: list[str], current: dict[str, float], baseline: dict[str, float], binary: bool
) -> dict[str, list[str]]:
    """Sample ids that changed: pass/fail for binary outcomes, by more than 0.5 otherwise."""
    if binary:
        return {
            "pass_to_fail": [sid for sid in ids if baseline[sid] > current[sid]],
            "fail_to_pass": [sid for sid in ids if current[sid] > baseline[sid]],
        }
    return {
        "worse": [sid for sid in ids if current[sid] - baseline[sid] < -FLIP_THRESHOLD],
        "better": [sid for sid in ids if current[sid] - baseline[sid] > FLIP_THRESHOLD],
    }


def _shares_clusters(ids: set[str], clusters: Mapping[str, str]) -> bool:
    """Whether two or more of these samples belong to one cluster."""
    sizes = Counter(clusters[sid] for sid in ids if sid in clusters)
    return any(size > 1 for size in sizes.values())


def _is_mean(scores: dict[str, float], value: float) -> bool:
    return abs(math.fsum(scores.values()) / len(scores) - value) <= _MEAN_TOLERANCE


def _sample_set_change(current: dict[str, float], baseline: dict[str, float]) -> list[str]:
    only_baseline = len(baseline.keys() - current.keys())
    only_current = len(current.keys() - baseline.keys())
    if not only_baseline and not only_current:
        return []
    return [
        f"sample set changed: {only_baseline} sample(s) only in the baseline, "
        f"{only_current} only in this run"
    ]
