"""Compile a loaded spec into a Plan: units with content hashes, grouped so each model loads once.

Public entry point: `compile_plan`.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

from evalspec.data import load_dataset
from evalspec.data.types import Dataset
from evalspec.engines import engine_request
from evalspec.engines.adapters import base_config, check_adapter
from evalspec.engines.presets import vllm_distribution
from evalspec.engines.sources import (
    ModelSource,
    adapter_digest,
    local_model_dir,
    model_source,
    remote_source,
    resolve_path,
)
from evalspec.errors import SpecError
from evalspec.paths import canonical_json, sha256_bytes
from evalspec.plan.models import ModelGroup, Plan, Unit
from evalspec.plan.prompts import check_template, render
from evalspec.plan.sampling import sample_count, select
from evalspec.spec import LoadedSpec
from evalspec.spec.models import AdapterSpec, ModelSpec, TaskSpec

__all__ = ["ModelGroup", "Plan", "Unit", "compile_plan", "unit_id"]


def unit_id(model: str, adapter: str | None, task: str) -> str:
    return f"{model}+{adapter}/{task}" if adapter else f"{model}/{task}"


def compile_plan(loaded: LoadedSpec, limit: int | None = None, device: str | None = None) -> Plan:
    """Resolve models, adapters and datasets; select samples; render prompts; hash units."""
    spec = loaded.spec
    count = sample_count(spec.samples, limit)
    datasets = {task.id: _load_dataset(loaded, i, task) for i, task in enumerate(spec.tasks)}
    groups = []
    for m_index, model in enumerate(spec.resolved_models()):
        where = loaded.where("models", m_index, "source")
        source = (
            remote_source(model.source, model.revision)
            if model.engine == "openai"
            else model_source(model.source, model.revision, loaded.base_dir, where)
        )
        adapters = _resolve_adapters(loaded, m_index, model, source)
        request = engine_request(
            model, source, [(a.id, a.path, rank) for a, _, rank in adapters], device
        )
        units = []
        for adapter, a_digest in [(None, None), *((a, d) for a, d, _ in adapters)]:
            for t_index, task in enumerate(spec.tasks):
                identity: dict[str, Any] = {
                    "model": {"source": source.digest, "revision": source.revision},
                    "adapter": a_digest,
                    "engine": {
                        "name": model.engine,
                        "version": _engine_version(model.engine),
                        "args": request.output_args(),
                    },
                    "prompt": task.prompt.model_dump(),
                    "generation": task.generation.model_dump(),
                }
                units.append(
                    _unit(loaded, t_index, model, adapter, task, datasets[task.id], count, identity)
                )
        groups.append(ModelGroup(request=request, units=tuple(units)))
    return Plan(spec_name=spec.name, spec_digest=loaded.digest, groups=tuple(groups))


def _unit(
    loaded: LoadedSpec,
    t_index: int,
    model: ModelSpec,
    adapter: AdapterSpec | None,
    task: TaskSpec,
    dataset: Dataset,
    count: int | None,
    identity: dict[str, Any],
) -> Unit:
    if task.limit is not None:
        count = min(count, task.limit) if count is not None else task.limit
    samples = select(dataset.samples, count, loaded.spec.samples.seed)
    if samples:
        check_template(task.prompt, samples[0], loaded.where("tasks", t_index, "prompt"))
    identity = {
        **identity,
        "seed": loaded.spec.samples.seed,
        "dataset": dataset.digest,
        "samples": [s.id for s in samples],
    }
    return Unit(
        unit_id=unit_id(model.id, adapter.id if adapter else None, task.id),
        hash=sha256_bytes(canonical_json(identity).encode()),
        model=model,
        adapter=adapter,
        task=task,
        samples=tuple(samples),
        prompts=tuple(render(task.prompt, s) for s in samples),
        dataset_size=len(dataset.samples),
        identity=identity,
    )


def _load_dataset(loaded: LoadedSpec, index: int, task: TaskSpec) -> Dataset:
    try:
        dataset = load_dataset(task.dataset, loaded.base_dir)
    except SpecError as exc:
        where = loaded.where("tasks", index, "dataset", "source")
        raise SpecError(f"{where}: tasks[{index}].dataset.source: {exc}") from exc
    if not dataset.samples:
        where = loaded.where("tasks", index, "dataset", "source")
        raise SpecError(f"{where}: dataset {dataset.source} has no samples")
    return dataset


def _resolve_adapters(
    loaded: LoadedSpec, m_index: int, model: ModelSpec, source: ModelSource
) -> list[tuple[AdapterSpec, str, int]]:
    """(adapter with absolute path, digest, rank) for each adapter; incompatible ones fail."""
    resolved = []
    config = base_config(local_model_dir(source)) if model.adapters else None
    max_rank = model.engine_args.get("max_lora_rank")
    for a_index, adapter in enumerate(model.adapters):
        where = loaded.where("models", m_index, "adapters", a_index, "path")
        path = resolve_path(adapter.path, loaded.base_dir)
        if not path.is_dir():
            raise SpecError(
                f"{where}: adapter directory not found: {path}; "
                "fix `path` (relative to the spec file)"
            )
        digest, rank = adapter_digest(path, where)
        check_adapter(
            adapter.id, path, rank, config, max_rank if isinstance(max_rank, int) else None, where
        )
        resolved.append((adapter.model_copy(update={"path": str(path)}), digest, rank))
    return resolved


def _engine_version(engine: str) -> str | None:
    if engine == "hf":  # transformers, torch and peft all shape the outputs
        return ",".join(f"{d}=={_dist_version(d)}" for d in ("transformers", "torch", "peft"))
    if engine == "openai":  # a remote server: its version is in the engine fingerprint
        return None
    dist = vllm_distribution()
    return dist[1] if dist else None


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
