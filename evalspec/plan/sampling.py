"""Seeded, stable sample selection by mode or limit."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from evalspec.data.types import Sample
from evalspec.spec.models import SAMPLE_MODES, SamplesSpec


def sample_count(samples: SamplesSpec, limit: int | None = None) -> int | None:
    """How many samples to take: --limit, else the spec's limit, else the mode's count."""
    return limit or samples.limit or SAMPLE_MODES[samples.mode]


def select(samples: Sequence[Sample], count: int | None, seed: int) -> list[Sample]:
    """Pick `count` samples by a seeded hash of their ids, returned in dataset order.

    Ranking by hash(seed, id) keeps the choice stable when rows are added or
    reordered: a sample stays selected unless one with a smaller rank arrives.
    """
    if count is None or count >= len(samples):
        return list(samples)
    ranked = sorted(samples, key=lambda s: hashlib.sha256(f"{seed}:{s.id}".encode()).hexdigest())
    chosen = {s.id for s in ranked[:count]}
    return [s for s in samples if s.id in chosen]
