"""LoRA adapters through vLLM: real PEFT adapters on the built-in model, all on one engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from lora_factory import save_lora

from evalspec.cli import cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, list[dict[str, object]]]:
    root = tmp_path_factory.mktemp("lora")
    save_lora(root / "adapters" / "zero", zero=True)
    save_lora(root / "adapters" / "noise", zero=False)
    repo = Path(__file__).resolve().parents[2]
    (root / "arithmetic.jsonl").write_text(
        (repo / "specs" / "data" / "arithmetic.jsonl").read_text()
    )
    (root / "lora.yaml").write_text(
        """version: 1
name: lora
models:
  - id: smol
    source: builtin:smollm2-135m-instruct
    engine_args: {max_model_len: 1024}
    adapters:
      - {id: zero, path: adapters/zero}
      - {id: noise, path: adapters/noise}
tasks:
  - id: arithmetic
    dataset: {format: jsonl, source: arithmetic.jsonl}
    prompt: {template: "{prompt} Answer with the number only."}
    generation: {max_tokens: 12}
    scorer: {type: numeric}
samples: {mode: quick, limit: 8}
"""
    )
    plan = CliRunner().invoke(cli, ["plan", str(root / "lora.yaml")])
    runs = root / "runs"
    result = CliRunner().invoke(
        cli, ["check", str(root / "lora.yaml"), "--runs-dir", str(runs), "--quiet"]
    )
    (run_dir,) = list(runs.iterdir())
    records = [json.loads(x) for x in (run_dir / "records.jsonl").read_text().splitlines()]
    return result.exit_code, plan.output, records


def _outputs(records: list[dict[str, object]], unit: str) -> list[object]:
    return [r["output"] for r in records if r["unit_id"] == unit]


def test_adapters_run_as_units_on_one_engine_load(
    lora_run: tuple[int, str, list[dict[str, object]]],
) -> None:
    exit_code, plan, records = lora_run
    assert exit_code == 0
    assert "3 units, 24 samples, 1 engine load" in plan
    assert {r["unit_id"] for r in records} == {
        "smol/arithmetic",
        "smol+zero/arithmetic",
        "smol+noise/arithmetic",
    }


def test_zero_lora_matches_base_and_random_lora_changes_outputs(
    lora_run: tuple[int, str, list[dict[str, object]]],
) -> None:
    _, _, records = lora_run
    base = _outputs(records, "smol/arithmetic")
    assert _outputs(records, "smol+zero/arithmetic") == base
    noise = _outputs(records, "smol+noise/arithmetic")
    assert sum(a != b for a, b in zip(noise, base, strict=True)) >= len(base) // 2
