"""Plan objects: Units (model x adapter x task) grouped by the engine they run on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalspec.data.types import Sample
from evalspec.engines import EngineRequest, Prompt
from evalspec.scoring.judge import Rubric
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
    # loglikelihood tasks: per sample, the (context, continuation) of each choice (a chat
    # context is its messages: the engine applies the chat template)
    choice_pairs: tuple[tuple[tuple[Prompt, str], ...], ...] = ()
    judge: JudgeRef | None = None  # judge-scored tasks: the model that rates the answers

    @property
    def attempts(self) -> int:
        """Samples generated per prompt (generation.n)."""
        return self.task.generation.n


@dataclass(frozen=True)
class JudgeRef:
    """The judge of a unit: its engine, rubric and identity (part of the unit hash)."""

    request: EngineRequest
    rubric: Rubric
    identity: dict[str, Any]


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
        """Engine loads the plan needs: one per model group, plus one per judge model that
        is not the resident last model (judging runs after all generation)."""
        loads = len({g.request.key for g in self.groups})
        last = self.groups[-1].request.key if self.groups else None
        judges = {u.judge.request.key for u in self.units if u.judge is not None}
        return loads + len(judges - {last})
