"""The Ray executor: engine replicas as Ray actors over every GPU of a machine or cluster.

One module per concern: `executor` (the executor and its sessions: the only place
that starts actors and waits on them), `actor` (one engine replica), `sharding`
(stable shards of a batch), `dispatch` (the driver-side shard queue and requeues),
`placement` (each replica's resources, replicas per group), `cluster` (connecting
to or starting Ray), `prefetch` (weights local before replicas start) and
`settings` (the spec's `run:` block). Nothing here writes run state: the driver
(`evalspec.runner.execute`) caches, scores and records what the replicas return.
Ray itself is imported only when a run uses it (the `ray` extra).
"""

from evalspec.runner.ray.executor import RayExecutor, RaySession
from evalspec.runner.ray.settings import RaySettings

__all__ = ["RayExecutor", "RaySession", "RaySettings"]
