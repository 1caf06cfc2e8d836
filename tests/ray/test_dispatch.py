"""The driver-side shard queue: pull with two in flight, requeue on failure, attempts, timeouts."""

from __future__ import annotations

import pytest

from evalspec.runner.executor import GenerateItem
from evalspec.runner.ray.dispatch import ShardFailed, ShardQueue
from evalspec.runner.ray.sharding import Shard


def _shards(n: int) -> list[Shard]:
    return [Shard(i, (GenerateItem(f"k{i}", f"p{i}", None),)) for i in range(n)]


def test_each_replica_holds_two_and_a_faster_replica_takes_more() -> None:
    queue = ShardQueue(_shards(10))
    taken: dict[str, list[int]] = {"fast": [], "slow": []}
    for name in ("fast", "slow"):
        while (shard := queue.take(name, 0.0)) is not None:
            taken[name].append(shard.shard_id)
    assert taken == {"fast": [0, 1], "slow": [2, 3]}
    for step in range(3):  # the fast replica returns three times while the slow one works
        queue.finish("fast", taken["fast"][step], float(step))
        taken["fast"].append(queue.take("fast", float(step)).shard_id)  # type: ignore[union-attr]
    assert len(taken["fast"]) == 5 and len(taken["slow"]) == 2
    assert queue.pending == 3 and not queue.finished


def test_a_failed_replica_gives_back_what_it_held_first_in_line_and_done_stays_done() -> None:
    queue = ShardQueue(_shards(5))
    a = [queue.take("a", 0.0), queue.take("a", 0.0)]
    b = [queue.take("b", 0.0), queue.take("b", 0.0)]
    assert [s.shard_id for s in b if s is not None] == [2, 3]
    assert queue.finish("a", a[0].shard_id, 1.0)  # type: ignore[union-attr]
    returned = queue.fail("b", "actor died")
    assert [s.shard_id for s in returned] == [2, 3]
    # the survivor (or b restarted) gets them back before the untouched shard 4
    order = []
    queue.finish("a", a[1].shard_id, 2.0)  # type: ignore[union-attr]
    while (shard := queue.take("a", 3.0)) is not None:
        order.append(shard.shard_id)
        queue.finish("a", shard.shard_id, 3.0)
    assert order == [2, 3, 4] and queue.finished
    assert not queue.finish("b", 2, 4.0)  # a late answer of the dead replica does not count


def test_only_the_running_shard_is_charged_and_a_shard_failing_three_times_fails() -> None:
    queue = ShardQueue(_shards(2), max_attempts=3)
    for attempt in range(2):
        assert queue.take("r", 0.0).shard_id == 0  # type: ignore[union-attr]
        assert queue.take("r", 0.0).shard_id == 1  # type: ignore[union-attr]
        queue.fail("r", f"crash {attempt}")  # shard 0 was running; 1 only waited
    queue.take("r", 0.0)
    queue.take("r", 0.0)
    with pytest.raises(ShardFailed, match="shard 0 failed 3 times; last: crash 2"):
        queue.fail("r", "crash 2")


def test_a_shard_is_overdue_only_once_it_runs() -> None:
    queue = ShardQueue(_shards(3))
    first, second = queue.take("r", 10.0), queue.take("r", 10.0)
    assert queue.overdue(15.0, timeout_s=10) == []
    assert queue.overdue(21.0, timeout_s=10) == ["r"]
    queue.finish("r", first.shard_id, 21.0)  # type: ignore[union-attr]
    assert queue.overdue(30.0, timeout_s=10) == []  # the second started at 21, not at 10
    assert queue.overdue(31.5, timeout_s=10) == ["r"]
    assert second is not None
