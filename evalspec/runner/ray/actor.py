"""One engine replica: a long-lived Ray actor that loads its engine once and runs shards on it.

The actor loads the model group's engine when it starts (and again only when Ray
restarts it) and keeps it for the whole group: never an engine per call. It touches
no run state: it returns completions (token counts, latencies), the shard's wall time
and its node's monitor readings, and the driver caches, scores and records them.

- A model that cannot load leaves the actor alive but unusable: `ready()` raises the
  load error (an `InfraError`, the group's units fail), and the executor stops it.
- An engine that raises inside `run` is presumed dead (vLLM can hang on the next call):
  the shard raises `EngineDied` with the engine's message, every later call too, and
  the executor kills the actor so that Ray restarts it with a fresh engine.
- A request-level problem (`InfraError`: an unknown adapter, an empty continuation)
  fails the unit, as with the local executor; the engine stays.

GPUs: Ray gives the actor `tensor_parallel_size x pipeline_parallel_size` GPUs (one
node: an actor's resources never span nodes) in CUDA_VISIBLE_DEVICES; vLLM's own
multiprocessing backend runs its workers inside (never Ray's backend inside an actor,
never its offline data parallelism, and the VLLM_DP_* variables are cleared).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from evalspec.engines import BatchStats, Completion, Engine, EngineRequest
from evalspec.errors import InfraError
from evalspec.monitor.replica import ReplicaProbe
from evalspec.runner.executor import Batch, Item
from evalspec.runner.local import call_engine
from evalspec.spec.models import AdapterSpec, GenerationSpec

DP_PREFIX = "VLLM_DP_"


class EngineDied(InfraError):
    """The engine raised inside a live replica: the replica must restart."""


@dataclass(frozen=True)
class ShardTask:
    """Some requests of one batch, sent to one replica."""

    shard_id: int
    unit_id: str
    adapter: AdapterSpec | None
    params: GenerationSpec | None
    items: tuple[Item, ...]


@dataclass(frozen=True)
class ShardResult:
    shard_id: int
    completions: tuple[Completion, ...]
    stats: BatchStats  # the replica's engine time and token counts for this shard
    readings: tuple[dict[str, Any], ...]  # monitor ticks while it ran


@dataclass(frozen=True)
class ReplicaInfo:
    """What a loaded replica tells the driver."""

    replica: str  # "<model id>#<index>"
    fingerprint: dict[str, Any]
    load_s: float
    node: str
    node_id: str
    pid: int
    gpus: tuple[int, ...]  # NVML indices of its GPUs on its node


class EngineReplica:
    """The actor class (the executor wraps it with `ray.remote` and its resources)."""

    def __init__(
        self,
        request: EngineRequest,
        loader: Any,  # EngineRequest -> Engine (the engine table's, or a test's)
        replica: str,
        interval_s: float,
        cpu_bind: str | None = None,
    ) -> None:
        import ray

        for name in [n for n in os.environ if n.startswith(DP_PREFIX)]:
            del os.environ[name]  # never vLLM's data parallelism inside a replica
        if cpu_bind is not None:  # vLLM's CPU build: this replica's cores only
            _pin(cpu_bind)
        context = ray.get_runtime_context()
        self._gpus = tuple(_nvml_indices(ray.get_gpu_ids()))
        self._probe = ReplicaProbe(replica, context.get_node_id()[:12], self._gpus, interval_s)
        self._replica = replica
        self._engine: Engine | None = None
        self._broken: str | None = None
        start = time.perf_counter()
        try:
            self._engine = loader(request)
        except InfraError as exc:
            self._broken = str(exc)
        except Exception as exc:  # a loader bug or an engine that raised its own type
            self._broken = f"{request.model_id} could not load: {type(exc).__name__}: {exc}"
        self._load_s = time.perf_counter() - start
        self._fingerprint: dict[str, Any] = {}

    def ready(self) -> ReplicaInfo:
        """The loaded replica's description (InfraError: the model could not load)."""
        if self._engine is None:
            raise InfraError(self._broken or "the engine did not load")
        if self._broken is not None:
            raise EngineDied(self._broken)
        if not self._fingerprint:
            self._fingerprint = self._engine.fingerprint()
        return ReplicaInfo(
            replica=self._replica,
            fingerprint=self._fingerprint,
            load_s=self._load_s,
            node=self._probe.node,
            node_id=self._probe.node_id,
            pid=os.getpid(),
            gpus=self._gpus,
        )

    def run(self, task: ShardTask) -> ShardResult:
        engine = self._engine
        if engine is None:
            raise InfraError(self._broken or "the engine did not load")
        if self._broken is not None:
            raise EngineDied(self._broken)
        batch = Batch(task.unit_id, task.adapter, task.params, task.items)
        with self._probe.during(task.unit_id) as readings:
            try:
                completions, stats = call_engine(engine, batch, task.items)
            except InfraError:
                raise
            except Exception as exc:  # the engine died: this replica must restart
                self._broken = f"engine failed on {self._replica}: {type(exc).__name__}: {exc}"
                raise EngineDied(self._broken) from None
        return ShardResult(task.shard_id, tuple(completions), stats, tuple(readings))


def _pin(cores: str) -> None:
    """Run this process's engine on `cores` ("0,1"): its affinity, OpenMP's thread count
    (read when torch loads, which is after this), and vLLM's CPU binding for its own
    worker processes (tensor parallel on CPU)."""
    ids = {int(core) for core in cores.split(",")}
    os.environ["VLLM_CPU_OMP_THREADS_BIND"] = cores
    os.environ["OMP_NUM_THREADS"] = str(len(ids))
    try:
        os.sched_setaffinity(0, ids)
    except (AttributeError, OSError):  # not Linux, or cores this container lacks
        return


def _nvml_indices(ids: list[int] | list[str]) -> list[int]:
    """Ray's GPU ids as NVML indices (ids that are not plain numbers, such as UUIDs, are
    left out of the readings)."""
    indices = []
    for gpu in ids:
        try:
            indices.append(int(gpu))
        except ValueError:
            continue
    return indices
