"""Stable shards: the same requests give the same shards in any order, each request once."""

from __future__ import annotations

import random

from evalspec.runner.executor import GenerateItem
from evalspec.runner.ray.sharding import make_shards, shard_size


def _items(n: int) -> list[GenerateItem]:
    return [GenerateItem(f"{i * 7919 % 1000:04d}-key", f"prompt {i}", None) for i in range(n)]


def test_shards_do_not_depend_on_the_order_of_the_batch() -> None:
    items = _items(103)
    shuffled = list(items)
    random.Random(5).shuffle(shuffled)
    assert make_shards(items, 10) == make_shards(shuffled, 10)


def test_every_request_is_in_exactly_one_shard_and_sizes_differ_by_at_most_one() -> None:
    for n, size in [(1, 4), (7, 3), (103, 10), (256, 256), (257, 256), (1000, 63)]:
        shards = make_shards(_items(n), size)
        keys = [item.key for shard in shards for item in shard.items]
        assert sorted(keys) == sorted(i.key for i in _items(n)) and len(keys) == n
        sizes = [len(s.items) for s in shards]
        assert max(sizes) <= size and max(sizes) - min(sizes) <= 1
        assert [s.shard_id for s in shards] == list(range(len(shards)))
    assert make_shards([], 8) == []


def test_shards_are_about_two_per_replica_but_fill_the_engines_batch() -> None:
    # plenty of requests: two shards per replica, each wider than the batch
    assert shard_size(10_000, 8, batch_width=256, chunk=1024) == 625
    # fewer: a full batch per shard rather than four thin ones
    assert shard_size(500, 2, batch_width=256, chunk=1024) == 250
    # a small task still spreads over every replica
    assert shard_size(40, 2, batch_width=128, chunk=512) == 20
    # never above the local executor's chunk; an explicit size wins
    assert shard_size(100_000, 1, batch_width=256, chunk=1024) == 1024
    assert shard_size(500, 2, batch_width=256, chunk=1024, override=7) == 7
