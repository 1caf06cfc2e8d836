"""Targeting: --model, --task, --adapter (globs) and --mode narrow a plan without changing it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from safetensors.numpy import save_file

from evalspec.cli import cli
from evalspec.errors import SpecError
from evalspec.plan import Plan, compile_plan, targets
from evalspec.spec import load_spec

BASE_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "vocab_size": 49152,
}


def _adapter(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"r": 8, "lora_alpha": 16}))
    prefix = "base_model.model.model.layers.0.self_attn.q_proj"
    save_file(
        {
            f"{prefix}.lora_A.weight": np.zeros((8, 576), dtype=np.float32),
            f"{prefix}.lora_B.weight": np.zeros((576, 8), dtype=np.float32),
        },
        str(path / "adapter_model.safetensors"),
    )


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """Two local models (the first with adapters sql and chat), tasks qa, qa-hard and math."""
    for name in ("base-a", "base-b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps(BASE_CONFIG))
    _adapter(tmp_path / "adapters" / "sql")
    _adapter(tmp_path / "adapters" / "chat")
    rows = [{"id": f"q{i}", "prompt": f"{i}+1?", "target": str(i + 1)} for i in range(30)]
    (tmp_path / "qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = tmp_path / "spec.yaml"
    path.write_text(
        """version: 1
name: targets
models:
  - id: alpha
    source: ./base-a
    adapters:
      - {id: sql, path: adapters/sql}
      - {id: chat, path: adapters/chat}
  - id: beta
    source: ./base-b
tasks:
  - id: qa
    dataset: {format: jsonl, source: qa.jsonl}
    scorer: {type: numeric}
  - id: qa-hard
    dataset: {format: jsonl, source: qa.jsonl}
    prompt: {template: "Think. {prompt}"}
    scorer: {type: numeric}
  - id: math
    dataset: {format: jsonl, source: qa.jsonl}
    prompt: {template: "Math: {prompt}"}
    scorer: {type: numeric}
samples: {mode: quick, limit: 3}
"""
    )
    return path


def _plan(spec: Path, limit: int | None = None, **options: object) -> Plan:
    return compile_plan(load_spec(spec), limit=limit, targets=targets(**options))  # type: ignore[arg-type]


def _ids(plan: Plan) -> list[str]:
    return [u.unit_id for u in plan.units]


def test_task_globs_select_their_tasks_and_keep_the_full_plans_hashes(spec: Path) -> None:
    full = {u.unit_id: u.hash for u in _plan(spec).units}

    plan = _plan(spec, tasks=["qa*"])

    assert _ids(plan) == [
        "alpha/qa",
        "alpha/qa-hard",
        "alpha+sql/qa",
        "alpha+sql/qa-hard",
        "alpha+chat/qa",
        "alpha+chat/qa-hard",
        "beta/qa",
        "beta/qa-hard",
    ]
    assert len(full) == 12
    assert all(full[u.unit_id] == u.hash for u in plan.units)


def test_model_and_adapter_options_combine_and_repeat(spec: Path) -> None:
    assert _ids(_plan(spec, models=["beta"], tasks=["math"])) == ["beta/math"]
    assert _ids(_plan(spec, models=["alpha"], adapters=["-"], tasks=["math"])) == ["alpha/math"]
    only_sql = _plan(spec, adapters=["sql", "sql"], tasks=["math", "qa"])
    assert _ids(only_sql) == ["alpha+sql/qa", "alpha+sql/math"]
    assert only_sql.engine_loads == 1  # beta has no unit left, so it does not load


def test_an_unknown_id_is_a_usage_error_listing_the_valid_ones(spec: Path) -> None:
    with pytest.raises(SpecError) as task:
        _plan(spec, tasks=["qa", "maths"])
    assert str(task.value) == (
        "--task 'maths' matches no task of spec 'targets'; valid: qa, qa-hard, math"
    )
    with pytest.raises(SpecError, match=r"--model 'gamma\*' matches no model .*valid: alpha, beta"):
        _plan(spec, models=["gamma*"])
    with pytest.raises(SpecError, match=r"valid: - \(the base model\), sql, chat$"):
        _plan(spec, adapters=["lora"])


def test_options_that_select_no_unit_together_are_a_usage_error(spec: Path) -> None:
    with pytest.raises(SpecError, match="--model beta --adapter sql together select no unit"):
        _plan(spec, models=["beta"], adapters=["sql"])


def test_mode_replaces_the_spec_mode_and_limit_and_limit_still_wins(spec: Path) -> None:
    counts = {len(u.samples) for u in _plan(spec).units}
    assert counts == {3}  # the spec's samples.limit

    assert {len(u.samples) for u in _plan(spec, mode="validate").units} == {5}
    assert {len(u.samples) for u in _plan(spec, mode="full").units} == {30}
    assert {len(u.samples) for u in _plan(spec, limit=2, mode="full").units} == {2}


def test_tasks_left_out_read_no_data(spec: Path) -> None:
    text = spec.read_text().replace(
        "- id: math\n    dataset: {format: jsonl, source: qa.jsonl}",
        "- id: math\n    dataset: {format: jsonl, source: missing.jsonl}",
    )
    spec.write_text(text)
    with pytest.raises(SpecError, match=r"missing\.jsonl"):
        _plan(spec)

    assert _ids(_plan(spec, models=["beta"], tasks=["qa"])) == ["beta/qa"]


def test_plan_command_takes_the_targets_and_exits_2_on_an_unknown_id(spec: Path) -> None:
    runner = CliRunner()

    done = runner.invoke(cli, ["plan", str(spec), "--model", "beta", "--mode", "validate"])
    assert done.exit_code == 0, done.output
    assert "beta/qa " in done.output and "alpha" not in done.output.split("\n\n")[0]
    assert "5/30" in done.output

    bad = runner.invoke(cli, ["plan", str(spec), "--task", "nope"])
    assert bad.exit_code == 2
    assert "error: --task 'nope' matches no task of spec 'targets'; valid: qa, qa-hard, math" in (
        bad.output
    )

    mode = runner.invoke(cli, ["plan", str(spec), "--mode", "huge"])
    assert mode.exit_code == 2
    assert "'huge' is not one of 'validate', 'quick', 'standard', 'full'" in mode.output
