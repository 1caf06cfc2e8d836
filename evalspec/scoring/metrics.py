"""Metrics: the mean of per-sample scores with its standard error."""

from __future__ import annotations

import math
from collections.abc import Sequence

from evalspec.scoring.results import Metric


def aggregate(name: str, values: Sequence[float]) -> Metric:
    """Mean, standard error sqrt(s²/n) with the sample variance s² (ddof=1; 0 when n < 2), n."""
    n = len(values)
    if n == 0:
        raise ValueError(f"metric '{name}' has no values to aggregate")
    mean = math.fsum(values) / n
    if n < 2:
        return Metric(name=name, value=mean, stderr=0.0, n=n)
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return Metric(name=name, value=mean, stderr=math.sqrt(variance / n), n=n)
