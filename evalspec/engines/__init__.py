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

from evalspec.engines.base import BatchStats, Completion, Engine, LocalModelConfig, Prompt
from evalspec.engines.presets import TRANSPORT_ARGS, detect_device, hf_device, preset_args
from evalspec.engines.sources import ModelSource, materialize
from evalspec.paths import canonical_json
from evalspec.spec.models import ModelSpec, ServerSpec

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
    server: tuple[tuple[str, Any], ...] = ()  # openai / vllm-server: resolved ServerSpec

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
                self.server,
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
    if model.engine == "hf":
        return _hf_request(model, source, adapters, device or hf_device())
    if model.engine == "openai":
        return _openai_request(model, source)
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
        server=_server_settings(model),
    )


def _server_settings(model: ModelSpec) -> tuple[tuple[str, Any], ...]:
    """The model's ServerSpec with its served model name resolved (empty for other engines)."""
    if model.engine not in ("openai", "vllm-server"):
        return ()
    settings = (model.server or ServerSpec()).model_dump()
    if settings["served_model_name"] is None:
        settings["served_model_name"] = model.source if model.engine == "openai" else model.id
    return tuple(sorted(settings.items()))


def _openai_request(model: ModelSpec, source: ModelSource) -> EngineRequest:
    """An endpoint someone else runs: engine_args are extra JSON fields of every request."""
    return EngineRequest(
        model_id=model.id,
        engine="openai",
        source=source,
        device="remote",
        args=tuple(sorted(model.engine_args.items())),
        adapters=(),
        server=_server_settings(model),
    )


def _hf_request(
    model: ModelSpec, source: ModelSource, adapters: Sequence[tuple[str, str, int]], device: str
) -> EngineRequest:
    """The hf engine's arguments: batch size from its presets, dtype, seed, quantization."""
    args: dict[str, Any] = preset_args(model.preset, device, engine="hf")
    args["seed"] = 0
    args["dtype"] = "bfloat16" if device == "cuda" else "float32"
    if model.quantization != "none":
        args["quantization"] = model.quantization
    args.update(model.engine_args)
    return EngineRequest(
        model_id=model.id,
        engine="hf",
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
        self._engine = _load(request)
        self._key = request.key
        self.loads += 1
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        self._engine, self._key = None, None


def _load(request: EngineRequest) -> Engine:
    """Build the engine a request names (loads the model)."""
    if request.engine in ("openai", "vllm-server"):
        from evalspec.engines.http_load import load_http_engine

        return load_http_engine(request)
    config = LocalModelConfig(
        model=materialize(request.source),
        revision=request.source.revision,
        device=request.device,
        kwargs=request.args,
        adapters=request.adapters,
    )
    if request.engine == "hf":
        from evalspec.engines.hf_engine import HfEngine

        return HfEngine.load(config)
    from evalspec.engines.vllm_engine import VllmEngine

    return VllmEngine.load(config)


_DEFAULT_POOL: EnginePool | None = None


def default_pool() -> EnginePool:
    """The process-wide pool (the CLI uses it; tests share it across invocations)."""
    global _DEFAULT_POOL
    if _DEFAULT_POOL is None:
        _DEFAULT_POOL = EnginePool()
    return _DEFAULT_POOL
