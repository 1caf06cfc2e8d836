"""Metrics: means of per-sample scores with standard errors, pass@k, and per-tag slices.

Standard errors follow the CLT: sqrt(s²/n) for independent samples; with clusters
(samples sharing a passage or a prompt) the cluster-robust estimator
sqrt(G/(G-1) · Σ_g (Σ_{i∈g} (x_i − mean))²) / n, which is what an honest error bar
is when questions are not independent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from evalspec.scoring.results import Metric


def aggregate(
    name: str,
    values: Sequence[float],
    clusters: Sequence[str | None] | None = None,
    *,
    higher_is_better: bool = True,
) -> Metric:
    """Mean and standard error of `values` (clustered when any sample has a cluster)."""
    n = len(values)
    if n == 0:
        raise ValueError(f"metric '{name}' has no values to aggregate")
    mean = math.fsum(values) / n
    if clusters is not None and len(clusters) != n:
        raise ValueError(f"{n} values but {len(clusters)} clusters")
    if clusters is not None and any(c is not None for c in clusters):
        stderr = _clustered_stderr(values, mean, clusters)
    elif n < 2:
        stderr = 0.0
    else:
        variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
        stderr = math.sqrt(variance / n)
    return Metric(name=name, value=mean, stderr=stderr, n=n, higher_is_better=higher_is_better)


def _clustered_stderr(
    values: Sequence[float], mean: float, clusters: Sequence[str | None]
) -> float:
    totals: dict[str, float] = {}
    for i, (value, cluster) in enumerate(zip(values, clusters, strict=True)):
        key = f"c:{cluster}" if cluster is not None else f"s:{i}"  # unclustered: its own
        totals[key] = totals.get(key, 0.0) + (value - mean)
    groups = len(totals)
    if groups < 2:
        return 0.0
    spread = math.fsum(t * t for t in totals.values())
    return math.sqrt(groups / (groups - 1) * spread) / len(values)


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimator of Chen et al. (2021): 1 − C(n−c, k) / C(n, k).

    n samples of which c passed; computed as a running product for numerical stability.
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@{k} needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c})")
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def pooled(values: Sequence[float], weights: Sequence[float]) -> list[float]:
    """Per-sample values whose plain mean is the weighted mean Σ w·v / Σ w.

    Each value is scaled by w / mean(w): a pooled metric (IFEval's instruction-level
    accuracy: followed instructions over all instructions) stays a mean of per-sample
    values, so its standard error and the gate's paired tests apply unchanged.
    """
    if len(values) != len(weights) or not values:
        raise ValueError(f"{len(values)} values but {len(weights)} weights")
    mean_weight = math.fsum(weights) / len(weights)
    if mean_weight <= 0:
        raise ValueError("pooled weights must be positive")
    return [v * w / mean_weight for v, w in zip(values, weights, strict=True)]


def slices(
    tags: Sequence[Mapping[str, str]],
    per_metric: Mapping[str, Sequence[float | None]],
    clusters: Sequence[str | None],
    higher_is_better: Mapping[str, bool] | None = None,
    weights: Mapping[str, Sequence[float]] | None = None,
) -> dict[str, dict[str, Metric]]:
    """Metrics per tag value ("subject=anatomy" -> metric name -> Metric).

    `per_metric` holds one value per sample (None: the sample has no value for it);
    `weights` (metric -> one weight per sample) pools a metric within each slice.
    """
    members: dict[str, list[int]] = {}
    for i, sample_tags in enumerate(tags):
        for key, value in sorted(sample_tags.items()):
            members.setdefault(f"{key}={value}", []).append(i)
    out: dict[str, dict[str, Metric]] = {}
    for label in sorted(members):
        metrics: dict[str, Metric] = {}
        for name, values in per_metric.items():
            kept = [i for i in members[label] if values[i] is not None]
            if not kept:
                continue
            picked = [float(values[i] or 0.0) for i in kept]
            if weights is not None and name in weights:
                picked = pooled(picked, [weights[name][i] for i in kept])
            metrics[name] = aggregate(
                name,
                picked,
                [clusters[i] for i in kept],
                higher_is_better=(higher_is_better or {}).get(name, True),
            )
        if metrics:
            out[label] = metrics
    return out
