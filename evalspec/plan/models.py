"""Plan objects: Units (model x adapter x task) grouped by the engine they run on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalspec.data.types import Sample
from evalspec.engines import EngineRequest, Prompt
from evalspec.spec.models import AdapterSpec, ModelSpec, TaskSpec


@dataclass(frozen=True)
class Unit:
    unit_id: str  # "model/task" or "model+adapter/task"
    hash: str  # covers everything that can change the outputs, nothing that cannot
    model: ModelSpec
    adapter: AdapterSpec | None  # path made absolute
    task: TaskSpec
    samples: tuple[Sample, ...]
    prompts: tuple[Prompt, ...]  # rendered, one per sample
    dataset_size: int
    identity: dict[str, Any]  # what the hash covers, for manifests and debugging


@dataclass(frozen=True)
class ModelGroup:
    """All units of one model: they share one resident engine."""

    request: EngineRequest
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class Plan:
    spec_name: str
    spec_digest: str
    groups: tuple[ModelGroup, ...]

    @property
    def units(self) -> tuple[Unit, ...]:
        return tuple(u for g in self.groups for u in g.units)

    @property
    def engine_loads(self) -> int:
        return len({g.request.key for g in self.groups})
