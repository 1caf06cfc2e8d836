"""Adapter compatibility: a LoRA adapter's rank and weight shapes against its engine and base model.

Checked when a plan is compiled, so an adapter that cannot work is exit 2 with the
reason (which weight, which size) instead of a failed engine load (exit 3) later.
The shapes come from the safetensors header (no weights are read; a corrupt file is
exit 2 naming it); the base model's sizes from its config.json when it is on local disk
(a directory, a converted built-in model, or the Hugging Face cache), else that half of
the check is skipped. The sizes cover dense attention and MLPs, fused projections
(qkv, gate_up), mixture-of-experts MLPs (routed and shared experts, the router) and
multi-head latent attention (DeepSeek-V2/V3's low-rank q/kv projections), also when
the text model's config is nested (`text_config`) as in multimodal models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

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
    shapes = _lora_shapes(path, adapter_id, where)  # read even without a base: a corrupt file fails
    if base_config is None:
        return
    sizes = _base_sizes(base_config)
    for name, shape in shapes.items():
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
    sizes: set[int] = set()
    for part in (config, config.get("text_config")):
        if isinstance(part, dict):
            sizes |= _model_sizes(part)
    return sizes


def _model_sizes(config: dict[str, Any]) -> set[int]:
    def size(key: str) -> int:
        value = config.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    hidden, heads = size("hidden_size"), size("num_attention_heads")
    kv_heads = size("num_key_value_heads") or heads
    head_dim = size("head_dim") or (hidden // heads if hidden and heads else 0)
    mlp = [size(k) for k in ("intermediate_size", "intermediate_size_mlp")]
    experts_mlp = size("moe_intermediate_size")
    sizes = {
        hidden,
        size("vocab_size"),
        *mlp,
        *(2 * m for m in mlp),  # fused gate_up_proj (Phi-3)
        head_dim * heads,
        head_dim * kv_heads,
        head_dim * (heads + 2 * kv_heads),  # fused qkv_proj
        # mixture of experts: expert MLPs, shared experts (Qwen2-MoE's own size, or
        # DeepSeek's n_shared_experts experts side by side), the router's outputs
        experts_mlp,
        size("shared_expert_intermediate_size"),
        1 if size("shared_expert_intermediate_size") else 0,  # Qwen2-MoE's shared_expert_gate
        experts_mlp * size("n_shared_experts"),
        size("num_experts"),
        size("num_local_experts"),
        size("n_routed_experts"),
    }
    # multi-head latent attention (DeepSeek-V2/V3): low-rank q and kv projections
    q_lora, kv_lora = size("q_lora_rank"), size("kv_lora_rank")
    rope, nope, v_dim = size("qk_rope_head_dim"), size("qk_nope_head_dim"), size("v_head_dim")
    if kv_lora:
        sizes |= {
            q_lora,  # q_a_proj out, q_b_proj in
            (nope + rope) * heads,  # q_proj / q_b_proj out
            kv_lora,  # kv_b_proj in
            kv_lora + rope,  # kv_a_proj_with_mqa out
            (nope + v_dim) * heads,  # kv_b_proj out
            v_dim * heads,  # o_proj in
        }
    return {s for s in sizes if s > 0}


def _lora_shapes(path: Path, adapter_id: str, where: str) -> dict[str, list[int]]:
    """LoRA A/B tensor shapes from adapter_model.safetensors' header (no weights read)."""
    file = path / "adapter_model.safetensors"
    if not file.is_file():
        return {}
    try:
        with safe_open(str(file), framework="numpy") as weights:
            names = weights.keys()
            shapes = {name: list(weights.get_slice(name).get_shape()) for name in names}
    except (SafetensorError, OSError) as exc:
        raise SpecError(
            f"{where}: adapter '{adapter_id}': {file} is not a readable safetensors file "
            f"({exc}); save the adapter again with save_pretrained() or copy it again"
        ) from exc
    return {
        name: shape for name, shape in shapes.items() if ".lora_A." in name or ".lora_B." in name
    }


def _trained_on(path: Path) -> str:
    try:
        base = json.loads((path / "adapter_config.json").read_text()).get("base_model_name_or_path")
    except (OSError, ValueError):
        return ""
    return f" (it was trained on '{base}')" if base else ""
