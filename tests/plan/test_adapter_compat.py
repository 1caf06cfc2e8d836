"""Adapters that cannot work on their model are exit-2 spec errors at plan time, with the reason."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from evalspec.engines.adapters import check_adapter
from evalspec.errors import EXIT_USAGE, SpecError
from evalspec.plan import compile_plan
from evalspec.spec import load_spec

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "model_configs"
# the sizes of SmolLM2-135M (the built-in model): hidden 576, 9 heads of 64, 3 KV heads
BASE_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "vocab_size": 49152,
}


def _adapter(root: Path, name: str, rank: int, in_features: int, base: str = "smol") -> None:
    path = root / name
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(
        json.dumps({"r": rank, "lora_alpha": 16, "base_model_name_or_path": base})
    )
    prefix = "base_model.model.model.layers.0.self_attn.q_proj"
    save_file(
        {
            f"{prefix}.lora_A.weight": np.zeros((rank, in_features), dtype=np.float32),
            f"{prefix}.lora_B.weight": np.zeros((576, rank), dtype=np.float32),
        },
        str(path / "adapter_model.safetensors"),
    )


def _lora(root: Path, name: str, modules: dict[str, tuple[int, int]], rank: int = 2) -> None:
    """A PEFT-style adapter: for each module (relative to a decoder layer), (in, out) sizes."""
    path = root / name
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"r": rank, "lora_alpha": 16}))
    prefix = "base_model.model.model.layers.3"
    tensors = {}
    for module, (n_in, n_out) in modules.items():
        tensors[f"{prefix}.{module}.lora_A.weight"] = np.zeros((rank, n_in), dtype=np.float16)
        tensors[f"{prefix}.{module}.lora_B.weight"] = np.zeros((n_out, rank), dtype=np.float16)
    save_file(tensors, str(path / "adapter_model.safetensors"))


def _spec(root: Path, engine_args: str = "{}", config: dict[str, object] | None = None) -> Path:
    (root / "base").mkdir()
    (root / "base" / "config.json").write_text(json.dumps(config or BASE_CONFIG))
    (root / "qa.jsonl").write_text('{"id": "q1", "prompt": "2+2?", "target": "4"}\n')
    spec = root / "spec.yaml"
    spec.write_text(
        f"""version: 1
name: adapters
models:
  - id: smol
    source: ./base
    engine_args: {engine_args}
    adapters:
      - {{id: sql, path: adapters/sql}}
tasks:
  - id: qa
    dataset: {{format: jsonl, source: qa.jsonl}}
    scorer: {{type: numeric}}
"""
    )
    return spec


def test_adapter_of_the_right_shape_plans_as_its_own_unit(tmp_path: Path) -> None:
    _adapter(tmp_path / "adapters", "sql", rank=8, in_features=576)
    plan = compile_plan(load_spec(_spec(tmp_path)))
    assert [u.unit_id for u in plan.units] == ["smol/qa", "smol+sql/qa"]


def test_adapter_trained_on_another_base_is_a_spec_error_naming_the_weight(tmp_path: Path) -> None:
    _adapter(tmp_path / "adapters", "sql", rank=8, in_features=4096, base="meta-llama/Llama-3.1-8B")
    with pytest.raises(SpecError) as error:
        compile_plan(load_spec(_spec(tmp_path)))
    message = str(error.value)
    assert "spec.yaml:8: adapter 'sql' does not fit this model" in message
    assert "q_proj.lora_A.weight has size 4096" in message
    assert "trained on 'meta-llama/Llama-3.1-8B'" in message


def test_adapter_rank_above_the_engines_max_lora_rank_is_a_spec_error(tmp_path: Path) -> None:
    _adapter(tmp_path / "adapters", "sql", rank=64, in_features=576)
    with pytest.raises(SpecError, match=r"rank 64, above engine_args\.max_lora_rank \(16\)"):
        compile_plan(load_spec(_spec(tmp_path, "{max_lora_rank: 16}")))


# LoRA targets of mixture-of-experts and multi-head-latent-attention models, with the
# (in, out) sizes of their real layers: none of them is hidden/intermediate/heads-sized
MOE_AND_MLA = {
    "deepseek-v2-lite": {  # MLA without q compression, 64 experts of 1408, 2 shared
        "self_attn.q_proj": (2048, 16 * 192),
        "self_attn.kv_a_proj_with_mqa": (2048, 512 + 64),
        "self_attn.kv_b_proj": (512, 16 * (128 + 128)),
        "self_attn.o_proj": (16 * 128, 2048),
        "mlp.experts.5.gate_proj": (2048, 1408),
        "mlp.experts.5.down_proj": (1408, 2048),
        "mlp.shared_experts.up_proj": (2048, 2 * 1408),
    },
    "deepseek-v3": {  # MLA with q compression (q_lora_rank 1536)
        "self_attn.q_a_proj": (7168, 1536),
        "self_attn.q_b_proj": (1536, 128 * 192),
        "self_attn.kv_a_proj_with_mqa": (7168, 576),
        "self_attn.kv_b_proj": (512, 128 * 256),
        "self_attn.o_proj": (128 * 128, 7168),
        "mlp.experts.200.down_proj": (2048, 7168),
        "mlp.shared_experts.gate_proj": (7168, 2048),
    },
    "qwen1.5-moe-a2.7b": {  # experts of 1408, a shared expert of 5632 with its gate
        "mlp.experts.7.up_proj": (2048, 1408),
        "mlp.shared_expert.down_proj": (5632, 2048),
        "mlp.shared_expert_gate": (2048, 1),
        "mlp.gate": (2048, 60),
    },
    "qwen3-30b-a3b": {  # head_dim 128 with 32 q / 4 kv heads; experts of 768
        "self_attn.q_proj": (2048, 32 * 128),
        "self_attn.k_proj": (2048, 4 * 128),
        "self_attn.o_proj": (32 * 128, 2048),
        "mlp.experts.99.down_proj": (768, 2048),
        "mlp.gate": (2048, 128),
    },
    "mixtral-8x7b": {  # 8 experts (w1/w2/w3) of 14336, the router over 8
        "block_sparse_moe.experts.3.w1": (4096, 14336),
        "block_sparse_moe.experts.3.w2": (14336, 4096),
        "block_sparse_moe.gate": (4096, 8),
        "self_attn.v_proj": (4096, 8 * 128),
    },
}


@pytest.mark.parametrize("model", sorted(MOE_AND_MLA))
def test_loras_on_moe_and_mla_layers_fit_their_base(tmp_path: Path, model: str) -> None:
    config = json.loads((CONFIGS / f"{model}.json").read_text())
    _lora(tmp_path / "adapters", "sql", MOE_AND_MLA[model])
    plan = compile_plan(load_spec(_spec(tmp_path, config=config)))
    assert [u.unit_id for u in plan.units] == ["smol/qa", "smol+sql/qa"]


def test_a_moe_lora_on_another_moe_base_is_still_rejected(tmp_path: Path) -> None:
    config = json.loads((CONFIGS / "qwen3-30b-a3b.json").read_text())
    _lora(tmp_path / "adapters", "sql", {"mlp.experts.0.down_proj": (1408, 2048)})
    with pytest.raises(SpecError, match=r"experts\.0\.down_proj\.lora_A\.weight has size 1408"):
        compile_plan(load_spec(_spec(tmp_path, config=config)))


def test_a_multimodal_config_checks_against_its_text_config(tmp_path: Path) -> None:
    config = {"architectures": ["Mistral3ForConditionalGeneration"], "text_config": BASE_CONFIG}
    _lora(tmp_path / "adapters", "sql", {"self_attn.k_proj": (576, 3 * 64)})
    plan = compile_plan(load_spec(_spec(tmp_path, config=config)))
    assert len(plan.units) == 2


def _valid_file(tmp_path: Path) -> bytes:
    _lora(tmp_path / "good", "a", {"self_attn.q_proj": (576, 576)})
    return (tmp_path / "good" / "a" / "adapter_model.safetensors").read_bytes()


@pytest.mark.parametrize(
    ("case", "damage", "reason"),
    [
        ("truncated", lambda data: data[:5], "header too small"),
        ("bad length", lambda data: struct.pack("<Q", 1 << 40) + data[8:], "header too large"),
        ("not JSON", lambda data: struct.pack("<Q", 8) + b"not json", "invalid JSON in header"),
        ("not a dict", lambda data: struct.pack("<Q", 2) + b"[]", "invalid JSON in header"),
        ("data cut off", lambda data: data[:-40], "incomplete metadata"),
    ],
)
def test_a_corrupt_safetensors_file_is_exit_2_naming_it(
    tmp_path: Path, case: str, damage: object, reason: str
) -> None:
    data = _valid_file(tmp_path)
    _adapter(tmp_path / "adapters", "sql", rank=8, in_features=576)
    file = tmp_path / "adapters" / "sql" / "adapter_model.safetensors"
    file.write_bytes(damage(data))  # type: ignore[operator]
    with pytest.raises(SpecError) as error:
        compile_plan(load_spec(_spec(tmp_path)))
    assert error.value.exit_code == EXIT_USAGE
    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'spec.yaml'}:8: adapter 'sql': "), case
    assert f"{file} is not a readable safetensors file (" in message
    assert reason in message
    assert message.endswith("); save the adapter again with save_pretrained() or copy it again")


def test_a_corrupt_adapter_is_caught_even_when_the_base_is_not_on_disk(tmp_path: Path) -> None:
    _adapter(tmp_path, "sql", rank=8, in_features=576)
    (tmp_path / "sql" / "adapter_model.safetensors").write_bytes(b"\x00" * 3)
    with pytest.raises(SpecError, match=r"^f\.yaml:3: adapter 'sql': .* not a readable"):
        check_adapter("sql", tmp_path / "sql", 8, None, None, "f.yaml:3")
