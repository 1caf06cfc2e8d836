"""The Ray executor's settings: the spec's `run:` block, with the CLI's address."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from evalspec.runner.ray.placement import Replicas
from evalspec.spec.models import RunSpec


@dataclass(frozen=True)
class RaySettings:
    address: str | None = None  # None: $RAY_ADDRESS, else a local cluster
    replicas: Replicas = "auto"
    replicas_by_model: Mapping[str, Replicas] = field(default_factory=dict)
    resource: str | None = None  # None: GPU with CUDA, CPU on vLLM's CPU build
    per_replica: float | None = None  # None: tensor_parallel_size x pipeline_parallel_size
    cpus_per_replica: float = 1.0
    shard_size: int | None = None
    shard_timeout_s: float = 1800.0
    max_restarts: int = 2

    @classmethod
    def from_spec(cls, run: RunSpec, address: str | None = None) -> RaySettings:
        by_model = run.replicas if isinstance(run.replicas, dict) else {}
        return cls(
            address=address,
            replicas=run.replicas if not isinstance(run.replicas, dict) else "auto",
            replicas_by_model=dict(by_model),
            resource=run.resource,
            per_replica=run.per_replica,
            cpus_per_replica=run.cpus_per_replica,
            shard_size=run.shard_size,
            shard_timeout_s=run.shard_timeout_s,
            max_restarts=run.max_restarts,
        )

    def replicas_for(self, model_id: str) -> Replicas:
        return self.replicas_by_model.get(model_id, self.replicas)
