"""One metric of a run against its baseline: pairing samples and picking the statistical test.

Samples are paired on the ids present on both sides. Binary outcomes (every
paired score 0 or 1) get Tango's score interval and exact McNemar; other
scores a seeded paired bootstrap, by cluster when samples share one. Without
per-sample pairs the comparison falls back to the two standard errors, and
says so in its notes.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from evalspec.gate.baseline import BaselineMetric, BaselineUnit, rounded
from evalspec.gate.stats import Interval, paired_binary, paired_bootstrap, unpaired_normal
from evalspec.scoring.results import Metric, UnitResult

MCNEMAR = "mcnemar-exact"
BOOTSTRAP = "paired-bootstrap"
CLUSTER_BOOTSTRAP = "cluster-bootstrap"
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
    notes = _one_sided_notes(
        len(baseline.keys() - current.keys()), len(current.keys() - baseline.keys())
    )
    if not baseline:
        reason = "the baseline has no per-sample outcomes"
    elif not common:
        reason = "no sample in common with the baseline"
    elif not (_is_mean(current, metric.value) and _is_mean(baseline, reference.value)):
        reason = f"{metric.name} is not the mean of the per-sample scores"
    else:
        before = [baseline[sid] for sid in common]
        after = [current[sid] for sid in common]
        if all(v in (0.0, 1.0) for v in before + after):
            return _binary(common, before, after, confidence, notes)
        return _continuous(unit, entry, metric.name, common, before, after, confidence, notes)
    delta = rounded(metric.value) - reference.value
    interval = unpaired_normal(delta, metric.stderr, reference.stderr, confidence)
    notes = (*notes, f"unpaired comparison from standard errors: {reason}")
    return Comparison(interval, confidence, UNPAIRED, None, {}, notes)


def _binary(
    ids: list[str],
    before: list[float],
    after: list[float],
    confidence: float,
    notes: tuple[str, ...],
) -> Comparison:
    lost = [sid for sid, b, a in zip(ids, before, after, strict=True) if b > a]
    gained = [sid for sid, b, a in zip(ids, before, after, strict=True) if a > b]
    interval = paired_binary(len(gained), len(lost), len(ids), confidence)
    flips = {"pass_to_fail": lost, "fail_to_pass": gained}
    return Comparison(interval, confidence, MCNEMAR, len(ids), flips, notes)


def _continuous(
    unit: UnitResult,
    entry: BaselineUnit,
    metric: str,
    ids: list[str],
    before: list[float],
    after: list[float],
    confidence: float,
    notes: tuple[str, ...],
) -> Comparison:
    diffs = [a - b for b, a in zip(before, after, strict=True)]
    known = unit.clusters or entry.clusters
    clustered = any(sid in known for sid in ids)
    clusters = [known.get(sid, f"sample:{sid}") for sid in ids] if clustered else None
    if all(abs(d) <= 1e-9 for d in diffs):
        interval = Interval(0.0, 0.0, 1.0)  # what every resample gives, without resampling
    else:
        interval = paired_bootstrap(diffs, confidence, _seed(unit.unit_id, metric), clusters)
    flips = {
        "worse": [sid for sid, d in zip(ids, diffs, strict=True) if d < -FLIP_THRESHOLD],
        "better": [sid for sid, d in zip(ids, diffs, strict=True) if d > FLIP_THRESHOLD],
    }
    test = CLUSTER_BOOTSTRAP if clustered else BOOTSTRAP
    return Comparison(interval, confidence, test, len(ids), flips, notes)


def _seed(unit_id: str, metric: str) -> int:
    """A bootstrap seed fixed by what is compared, so a repeat gives the same interval."""
    return int(hashlib.sha256(f"{unit_id}\0{metric}".encode()).hexdigest()[:16], 16)


def _is_mean(scores: dict[str, float], value: float) -> bool:
    return abs(math.fsum(scores.values()) / len(scores) - value) <= _MEAN_TOLERANCE


def _one_sided_notes(only_baseline: int, only_current: int) -> tuple[str, ...]:
    if not only_baseline and not only_current:
        return ()
    return (
        f"{only_baseline} sample(s) only in the baseline, {only_current} only in this run: "
        "left out of the paired test",
    )
