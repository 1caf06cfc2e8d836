"""Engines: build the engine a model group asks for, keep it resident, hand it back.

Public entry points: `engine_request` (what a plan asks of an engine, cheap, no
loading) and `EnginePool.get` (load or reuse). The pool keeps one engine resident
at a time (a GPU holds one model), so a plan grouped by model loads each model once,
and a test session that reuses the pool loads the built-in model once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evalspec.engines.base import BatchStats, Completion, Engine, Prompt
from evalspec.engines.presets import TRANSPORT_ARGS, detect_device, preset_args
from evalspec.engines.sources import ModelSource, materialize
from evalspec.paths import canonical_json
from evalspec.spec.models import ModelSpec

__all__ = [
    "BatchStats",
    "Completion",
    "Engine",
    "EnginePool",
    "EngineRequest",
    "Prompt",
    "default_pool",
    "engine_request",
]

VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)


@dataclass(frozen=True)
class EngineRequest:
    """What a model group needs from an engine: equal requests share one engine."""

    model_id: str
    engine: str
    source: ModelSource
    device: str
    args: tuple[tuple[str, Any], ...]
    adapters: tuple[tuple[str, str], ...]  # (adapter id, absolute path)

    @property
    def key(self) -> str:
        return canonical_json(
            [
                self.engine,
                self.source.location,
                self.source.revision,
                self.device,
                self.args,
                self.adapters,
            ]
        )

    def output_args(self) -> dict[str, Any]:
        """Engine arguments that can change outputs (part of unit hashes)."""
        return {k: v for k, v in self.args if k not in TRANSPORT_ARGS}


def engine_request(
    model: ModelSpec,
    source: ModelSource,
    adapters: Sequence[tuple[str, str, int]],
    device: str | None = None,
) -> EngineRequest:
    """Effective engine arguments: preset, then the spec's engine_args, then LoRA settings."""
    device = device or detect_device()
    args: dict[str, Any] = preset_args(model.preset, device)
    args.setdefault("seed", 0)
    if device == "cpu":
        # CPUs without native bf16 (AVX2-only) run bf16 ~10x slower than fp32 (measured)
        args.setdefault("dtype", "float32")
    args.update(model.engine_args)
    if adapters:
        rank = max(r for _, _, r in adapters)
        args["enable_lora"] = True
        args.setdefault("max_lora_rank", next((r for r in VLLM_LORA_RANKS if r >= rank), rank))
        args.setdefault("max_loras", len(adapters))
    return EngineRequest(
        model_id=model.id,
        engine=model.engine,
        source=source,
        device=device,
        args=tuple(sorted(args.items())),
        adapters=tuple((aid, path) for aid, path, _ in adapters),
    )


class EnginePool:
    """Loads engines on demand and keeps the most recent one resident."""

    def __init__(self) -> None:
        self._key: str | None = None
        self._engine: Engine | None = None
        self.loads = 0

    def get(self, request: EngineRequest) -> Engine:
        if self._engine is not None and self._key == request.key:
            return self._engine
        self.close()
        from evalspec.engines.vllm_engine import VllmConfig, VllmEngine

        config = VllmConfig(
            model=materialize(request.source),
            revision=request.source.revision,
            device=request.device,
            kwargs=request.args,
            adapters=request.adapters,
        )
        self._engine = VllmEngine.load(config)
        self._key = request.key
        self.loads += 1
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        self._engine, self._key = None, None


_DEFAULT_POOL: EnginePool | None = None


def default_pool() -> EnginePool:
    """The process-wide pool (the CLI uses it; tests share it across invocations)."""
    global _DEFAULT_POOL
    if _DEFAULT_POOL is None:
        _DEFAULT_POOL = EnginePool()
    return _DEFAULT_POOL
