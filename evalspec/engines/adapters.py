"""Adapter compatibility: a LoRA adapter's rank and weight shapes against its engine and base model.

Checked when a plan is compiled, so an adapter that cannot work is exit 2 with the
reason (which weight, which size) instead of a failed engine load (exit 3) later.
The shapes come from the safetensors header (no weights are read); the base model's
sizes from its config.json when it is on local disk (a directory, a converted
built-in model, or the Hugging Face cache), else that half of the check is skipped.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from evalspec.errors import SpecError

VLLM_MAX_LORA_RANK = 512


def check_adapter(
    adapter_id: str,
    path: Path,
    rank: int,
    base_config: dict[str, Any] | None,
    max_rank: int | None,
    where: str,
) -> None:
    limit = max_rank or VLLM_MAX_LORA_RANK
    if rank > limit:
        what = "engine_args.max_lora_rank" if max_rank else "vLLM's largest LoRA rank"
        raise SpecError(
            f"{where}: adapter '{adapter_id}' has rank {rank}, above {what} ({limit}); "
            "raise max_lora_rank in the model's engine_args or use a lower-rank adapter"
        )
    if base_config is None:
        return
    sizes = _base_sizes(base_config)
    for name, shape in _lora_shapes(path).items():
        if len(shape) != 2:
            continue
        features = shape[1] if ".lora_A." in name else shape[0]
        if sizes and features not in sizes:
            trained_on = _trained_on(path)
            raise SpecError(
                f"{where}: adapter '{adapter_id}' does not fit this model: its weight {name} "
                f"has size {features}, the base model's layers have sizes "
                f"{sorted(sizes)}{trained_on}; use an adapter trained on this base"
            )


def base_config(directory: Path | None) -> dict[str, Any] | None:
    if directory is None or not (directory / "config.json").is_file():
        return None
    try:
        data = json.loads((directory / "config.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _base_sizes(config: dict[str, Any]) -> set[int]:
    """Every input/output size a LoRA-targeted linear layer of this base can have."""
    hidden = config.get("hidden_size")
    heads = config.get("num_attention_heads")
    kv_heads = config.get("num_key_value_heads", heads)
    head_dim = config.get("head_dim") or (hidden // heads if hidden and heads else None)
    sizes = {hidden, config.get("intermediate_size"), config.get("vocab_size")}
    if head_dim and heads:
        sizes.add(head_dim * heads)
    if head_dim and kv_heads:
        sizes.add(head_dim * kv_heads)
    return {s for s in sizes if isinstance(s, int)}


def _lora_shapes(path: Path) -> dict[str, list[int]]:
    """LoRA A/B tensor shapes from adapter_model.safetensors' header."""
    file = path / "adapter_model.safetensors"
    if not file.is_file():
        return {}
    with open(file, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    return {
        name: list(meta["shape"])
        for name, meta in header.items()
        if (".lora_A." in name or ".lora_B." in name) and isinstance(meta, dict)
    }


def _trained_on(path: Path) -> str:
    try:
        base = json.loads((path / "adapter_config.json").read_text()).get("base_model_name_or_path")
    except (OSError, ValueError):
        return ""
    return f" (it was trained on '{base}')" if base else ""
