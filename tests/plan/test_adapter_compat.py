"""Adapters that cannot work on their model are exit-2 spec errors at plan time, with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from evalspec.errors import SpecError
from evalspec.plan import compile_plan
from evalspec.spec import load_spec

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


def _spec(root: Path, engine_args: str = "{}") -> Path:
    (root / "base").mkdir()
    (root / "base" / "config.json").write_text(json.dumps(BASE_CONFIG))
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
