"""Stable shards: a batch's requests cut into near-equal slices by a rule over request keys.

The requests are ordered by their request key (a sha256 of everything the request
depends on, `evalspec.runner.requests`), then cut into `ceil(n / size)` slices whose
sizes differ by at most one. The same set of requests always gives the same shards,
whatever order the batch lists them in, and every request is in exactly one shard.

The size aims at about two shards per replica (a faster replica takes more and the
tail is short), but no smaller than the engine's batch width (`max_num_seqs`: a
smaller shard leaves the engine's batch half empty) unless that would leave a replica
idle (then one shard per replica), and no larger than the local executor's chunk
(what an interrupted run may lose); `run.shard_size` overrides it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from evalspec.runner.executor import Item

SHARDS_PER_REPLICA = 2


@dataclass(frozen=True)
class Shard:
    shard_id: int  # its place in the key order: 0 .. count - 1
    items: tuple[Item, ...]


def shard_size(
    requests: int, replicas: int, *, batch_width: int, chunk: int, override: int | None = None
) -> int:
    """Requests per shard (see the module docstring)."""
    if override is not None:
        return override
    replicas = max(1, replicas)
    even = math.ceil(requests / (replicas * SHARDS_PER_REPLICA))
    full = min(batch_width, math.ceil(requests / replicas))  # a full batch, no idle replica
    return max(1, min(chunk, max(even, full)))


def make_shards(items: Sequence[Item], size: int) -> list[Shard]:
    """The batch's requests in key order, cut into near-equal slices of at most `size`."""
    if not items:
        return []
    ordered = sorted(items, key=lambda item: item.key)
    count = math.ceil(len(ordered) / size)
    base, extra = divmod(len(ordered), count)
    shards, start = [], 0
    for index in range(count):
        end = start + base + (1 if index < extra else 0)
        shards.append(Shard(index, tuple(ordered[start:end])))
        start = end
    return shards
