"""What a model group asks of an engine: the effective engine arguments, adapters and server.

`engine_request` is cheap (no loading): the plan calls it for every model, and equal
requests share one engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evalspec.digests import canonical_json
from evalspec.engines.presets import TRANSPORT_ARGS, detect_device, hf_device, preset_args
from evalspec.engines.sources import ModelSource
from evalspec.spec.models import ModelSpec, ServerSpec

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


def vllm_request(
    model: ModelSpec,
    source: ModelSource,
    adapters: Sequence[tuple[str, str, int]],
    device: str | None = None,
) -> EngineRequest:
    """vllm and vllm-server: the preset, a seed, fp32 on CPU, the spec's engine_args, LoRA."""
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


def openai_request(
    model: ModelSpec,
    source: ModelSource,
    adapters: Sequence[tuple[str, str, int]] = (),
    device: str | None = None,
) -> EngineRequest:
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


def hf_request(
    model: ModelSpec,
    source: ModelSource,
    adapters: Sequence[tuple[str, str, int]],
    device: str | None = None,
) -> EngineRequest:
    """The hf engine's arguments: batch size from its presets, dtype, seed, quantization."""
    device = device or hf_device()
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
