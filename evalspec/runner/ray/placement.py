"""Where replicas go and how many: each replica's resources, and the replica count per group.

A replica of a model asks for `tensor_parallel_size x pipeline_parallel_size` units of
the run's resource (`GPU` by default, `CPU` on vLLM's CPU build, or a custom resource
such as the tests' `engine_slot`); Ray places it on one node with that many free.

`ReplicaLedger` sizes the groups that run at the same time. Groups open in the order
they ask, each when the resource it needs is free (first come, first served: a large
group is never starved by small ones). `replicas: N` gets N (at most what the cluster
can ever hold); `replicas: auto` gets its share of the free units, in proportion to
its requests among the groups still to open, at least one replica and no more than
its requests can keep busy. `replicas: N` waits until N fit. A closed group gives its
units back to the next one.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from evalspec.engines import EngineRequest
from evalspec.errors import InfraError

Replicas = int | Literal["auto"]
REQUESTS_PER_REPLICA = 32  # auto: no more replicas than this many requests each can keep busy
WAIT_S = 0.5
# environment a replica takes from the driver (Ray workers on other nodes do not have it);
# tokens are left out: set them on the nodes
PASSED_PREFIXES = ("VLLM_", "HF_", "TRANSFORMERS_", "EVALSPEC_")


@dataclass(frozen=True)
class Need:
    """One replica's resources: `amount` of `resource` (0 for remote endpoints)."""

    resource: str
    amount: float
    cpus: float

    @property
    def cores(self) -> float:
        """The CPU cores the replica holds (a CPU replica's amount is its cores)."""
        return max(self.amount, self.cpus) if self.resource == "CPU" else self.cpus


def replica_need(
    request: EngineRequest,
    resource: str | None,
    per_replica: float | None,
    cpus: float,
    remote: bool,
) -> Need:
    """What one replica of the request's model asks Ray for."""
    name = resource or ("GPU" if request.device == "cuda" else "CPU")
    if remote:  # an HTTP client: no accelerator, one replica is plenty
        return Need(name, 0.0, cpus)
    if per_replica is None:
        args = dict(request.args)
        per_replica = float(
            int(args.get("tensor_parallel_size", 1)) * int(args.get("pipeline_parallel_size", 1))
        )
    return Need(name, per_replica, cpus)


def actor_options(need: Need, max_restarts: int, env: Mapping[str, str]) -> dict[str, Any]:
    """`ray.remote(...).options` of one replica."""
    options: dict[str, Any] = {
        "max_restarts": max_restarts,
        "max_task_retries": 0,  # the driver requeues a dead replica's shards itself
        "runtime_env": {"env_vars": dict(env)},
    }
    if need.resource == "GPU":
        options.update(num_gpus=need.amount, num_cpus=need.cpus)
    elif need.resource == "CPU":
        options.update(num_cpus=max(need.amount, need.cpus))
    else:
        options.update(num_cpus=need.cpus, resources={need.resource: need.amount})
    return options


def passed_environment() -> dict[str, str]:
    """The driver's engine settings for the replicas (VLLM_*, HF_*, TRANSFORMERS_*,
    EVALSPEC_*), without tokens and without vLLM's data-parallel variables."""
    return {
        name: value
        for name, value in os.environ.items()
        if name.startswith(PASSED_PREFIXES)
        and "TOKEN" not in name
        and not name.startswith("VLLM_DP_")
    }


def cpu_binding(index: int, cores: float) -> str | None:
    """vLLM's CPU build: the cores of replica `index` (`cores` each, counted from 0 and
    wrapping round the machine's cores), as VLLM_CPU_OMP_THREADS_BIND reads them."""
    total = os.cpu_count() or 1
    count = max(1, int(cores))
    first = index * count
    return ",".join(str((first + i) % total) for i in range(min(count, total)))


class ReplicaLedger:
    """How many replicas each model group gets, out of `capacity` free units."""

    def __init__(
        self, resource: str, capacity: float, node_capacity: float, work: Mapping[str, int]
    ) -> None:
        self.resource, self.capacity, self.node_capacity = resource, capacity, node_capacity
        self._free = capacity
        self._work = dict(work)  # request key -> requests still to generate (first turns)
        self._held: dict[str, float] = {}
        self._queue: list[str] = []
        self._cond = threading.Condition()

    def acquire(self, key: str, need: Need, wanted: Replicas, stopped: Callable[[], bool]) -> int:
        """Wait for the group's turn and resources; the number of replicas it gets."""
        self._check(need)
        with self._cond:
            self._queue.append(key)
            try:
                while True:
                    count = self._grant_locked(key, need, wanted) if self._queue[0] == key else None
                    if count is not None:
                        return count
                    if stopped():
                        raise InfraError("the run stopped while waiting for free resources")
                    self._cond.wait(WAIT_S)
            finally:
                self._queue.remove(key)
                self._cond.notify_all()

    def grant(self, key: str, need: Need, wanted: Replicas) -> int | None:
        """The replicas the group gets now, or None when it must wait for units to come
        back (the caller keeps the order of waiting groups; `acquire` does so for threads)."""
        self._check(need)
        with self._cond:
            return self._grant_locked(key, need, wanted)

    def _check(self, need: Need) -> None:
        if need.amount > self.node_capacity:
            raise InfraError(
                f"a replica needs {need.amount:g} {self.resource} on one node, but the largest "
                f"node of the Ray cluster has {self.node_capacity:g}; lower "
                "tensor_parallel_size x pipeline_parallel_size or add a larger node"
            )

    def _grant_locked(self, key: str, need: Need, wanted: Replicas) -> int | None:
        if need.amount <= 0:
            return 1 if wanted == "auto" else wanted
        most = max(1, math.floor(self.capacity / need.amount + 1e-9))
        first = need.amount * (1 if wanted == "auto" else min(wanted, most))
        if self._free + 1e-9 < first:
            return None
        count = self._count(key, need, wanted, most)
        self._free -= count * need.amount
        self._held[key] = self._held.get(key, 0.0) + count * need.amount
        self._work.pop(key, None)
        return count

    def release(self, key: str) -> None:
        with self._cond:
            self._free += self._held.pop(key, 0.0)
            self._cond.notify_all()

    def _count(self, key: str, need: Need, wanted: Replicas, most: int) -> int:
        fits = math.floor(self._free / need.amount + 1e-9)
        if wanted != "auto":
            return min(wanted, most)
        work = self._work.get(key)
        if work is None:  # not announced (a judge): the free units are all its own
            return max(1, fits)
        share = work / max(1, sum(self._work.values()))
        useful = max(1, math.ceil(work / REQUESTS_PER_REPLICA))
        return max(1, min(fits, useful, math.floor(self._free * share / need.amount)))
