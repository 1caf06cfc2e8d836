"""The driver-side shard queue: which shard goes to which replica, and what a failure requeues.

Replicas pull: each holds at most `depth` shards in flight (two: while one runs, the
next waits in the actor's mailbox, so the engine never idles on a round trip), and a
faster replica comes back for more sooner. A replica runs its shards in the order it
got them, so the oldest in flight is the one running; its clock starts when the one
before it finished. When a replica fails (its actor died, its engine died, or its
running shard overran the timeout), everything it held goes back to the front of the
queue, for the restarted replica or another one; the running shard is charged one
attempt, and a shard that failed `max_attempts` times fails the batch. A finished shard
is never handed out again.

Pure bookkeeping: no Ray, no clocks of its own (callers pass `now`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from evalspec.errors import InfraError
from evalspec.runner.ray.sharding import Shard

DEPTH = 2
MAX_ATTEMPTS = 3


class ShardFailed(InfraError):
    """A shard failed on `max_attempts` replicas (or runs) in a row."""


@dataclass
class _Held:
    shard: Shard
    started: float | None = None  # when it began running (None: waiting behind another)


@dataclass
class ShardQueue:
    shards: Sequence[Shard]
    depth: int = DEPTH
    max_attempts: int = MAX_ATTEMPTS
    _pending: deque[Shard] = field(init=False)
    _held: dict[str, list[_Held]] = field(init=False, default_factory=dict)
    _attempts: dict[int, int] = field(init=False, default_factory=dict)
    _done: set[int] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._pending = deque(self.shards)

    @property
    def finished(self) -> bool:
        return len(self._done) == len(self.shards)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def held(self, replica: str) -> int:
        return len(self._held.get(replica, []))

    def take(self, replica: str, now: float) -> Shard | None:
        """The next shard for `replica`, or None (nothing pending, or it holds `depth`)."""
        held = self._held.setdefault(replica, [])
        if not self._pending or len(held) >= self.depth:
            return None
        shard = self._pending.popleft()
        held.append(_Held(shard, started=now if not held else None))
        return shard

    def finish(self, replica: str, shard_id: int, now: float) -> bool:
        """The replica returned the shard: True when it counts (it was still held there)."""
        held = self._held.get(replica, [])
        for index, entry in enumerate(held):
            if entry.shard.shard_id == shard_id:
                del held[index]
                self._done.add(shard_id)
                if held and held[0].started is None:
                    held[0].started = now
                return True
        return False

    def fail(self, replica: str, reason: str) -> list[Shard]:
        """The replica failed: its running shard is charged an attempt (ShardFailed after
        `max_attempts`), and all it held goes back to the front of the queue, in order."""
        held = self._held.pop(replica, [])
        if not held:
            return []
        running = held[0].shard.shard_id
        self._attempts[running] = self._attempts.get(running, 0) + 1
        if self._attempts[running] >= self.max_attempts:
            raise ShardFailed(
                f"shard {running} failed {self._attempts[running]} times; last: {reason}"
            )
        returned = [entry.shard for entry in held]
        self._pending.extendleft(reversed(returned))
        return returned

    def overdue(self, now: float, timeout_s: float) -> list[str]:
        """Replicas whose running shard started more than `timeout_s` ago."""
        return [
            replica
            for replica, held in self._held.items()
            if held and held[0].started is not None and now - held[0].started > timeout_s
        ]
