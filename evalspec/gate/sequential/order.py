"""The seeded order in which an adaptive run observes its units, and when it looks.

The sequential guarantees hold for the order in which units (samples, or whole
clusters) enter the test, provided that order is fixed before any outcome is
seen. Each unit's rank is sha256(f"{seed}\\0{key}"): a uniformly random permutation
for a seed, the same on every machine and Python/numpy version, independent of the
order the ids come in, and stable when units are added or removed (the others keep
their relative order). Record ``ORDER_METHOD``, the seed and ``order_digest`` with
the baseline; never draw a new seed after looking at outcomes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping

ORDER_METHOD = "sha256-rank/v1"
DEFAULT_FIRST_LOOK = 64
GROWTH = 1.25  # `every: auto`: each batch adds a quarter of what was observed


def _rank(seed: int, key: str) -> bytes:
    return hashlib.sha256(f"{seed}\0{key}".encode()).digest()


def unit_order(
    sample_ids: Iterable[str], seed: int, clusters: Mapping[str, str] | None = None
) -> list[tuple[str, ...]]:
    """The units in observation order: one sample each, or the samples of one cluster.

    ``clusters`` maps a sample id to its cluster (document); samples without one
    form a unit of their own. Within a cluster the samples are sorted by id.
    """
    groups: dict[str, list[str]] = {}
    for sid in sorted(set(sample_ids)):
        key = f"cluster:{clusters[sid]}" if clusters and sid in clusters else f"sample:{sid}"
        groups.setdefault(key, []).append(sid)
    return [tuple(groups[key]) for key in sorted(groups, key=lambda key: _rank(seed, key))]


def item_order(sample_ids: Iterable[str], seed: int) -> list[str]:
    """The sample ids in observation order (no clusters)."""
    return [unit[0] for unit in unit_order(sample_ids, seed)]


def order_digest(units: Iterable[Iterable[str]]) -> str:
    """sha256 of the order (one line per unit, ids tab-separated): what the baseline records."""
    text = "\n".join("\t".join(unit) for unit in units)
    return hashlib.sha256(text.encode()).hexdigest()


def looks(
    budget_n: int, first_look: int = DEFAULT_FIRST_LOOK, every: int | None = None
) -> list[int]:
    """The units observed at each look: first_look, then every ``every`` (None: auto), budget_n.

    ``auto`` grows each batch to a quarter of the units seen (at least 16), so a
    decision reached between looks costs at most about 25% more units than needed
    while the number of looks (and engine calls) stays logarithmic in the budget.
    The anytime-valid test does not care how often it looks; this only trades
    wasted units against batching.
    """
    if budget_n < 1 or first_look < 1 or (every is not None and every < 1):
        raise ValueError("budget_n, first_look and every must be at least 1")
    points = [min(first_look, budget_n)]
    while points[-1] < budget_n:
        step = every if every is not None else max(16, math.ceil(points[-1] * (GROWTH - 1)))
        points.append(min(points[-1] + step, budget_n))
    return points
