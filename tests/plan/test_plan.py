"""Plan compilation: units, hashes, sample selection, engine grouping (no engine is loaded)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evalspec.data.types import Sample
from evalspec.errors import SpecError
from evalspec.plan import compile_plan
from evalspec.plan.sampling import select
from evalspec.spec import load_spec


def _edit(path: Path, change: dict[str, object], task: int | None = None) -> None:
    data = yaml.safe_load(path.read_text())
    target = data["tasks"][task] if task is not None else data
    for dotted, value in change.items():
        *parents, leaf = dotted.split(".")
        node = target
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _hashes(spec: Path, limit: int | None = None) -> dict[str, str]:
    return {u.unit_id: u.hash for u in compile_plan(load_spec(spec), limit=limit).units}


def test_smoke_spec_compiles_to_two_units_on_one_engine_load(repo: Path) -> None:
    plan = compile_plan(load_spec(repo / "specs" / "smoke.yaml"))
    assert [u.unit_id for u in plan.units] == ["smol/arithmetic", "smol/humaneval"]
    assert plan.engine_loads == 1
    counts = {u.unit_id: len(u.samples) for u in plan.units}
    assert counts == {"smol/arithmetic": 40, "smol/humaneval": 10}


def test_unit_hash_is_stable_across_compiles(repo: Path) -> None:
    spec = repo / "specs" / "smoke.yaml"
    assert _hashes(spec) == _hashes(spec)


def test_generation_change_changes_only_that_units_hash(workspace: Path) -> None:
    spec = workspace / "specs" / "smoke.yaml"
    before = _hashes(spec)
    _edit(spec, {"generation.max_tokens": 8}, task=0)
    after = _hashes(spec)
    assert after["smol/arithmetic"] != before["smol/arithmetic"]
    assert after["smol/humaneval"] == before["smol/humaneval"]


def test_preset_is_a_transport_knob_and_leaves_hashes_alone(workspace: Path) -> None:
    catalog = workspace / "specs" / "models.yaml"
    before = _hashes(workspace / "specs" / "smoke.yaml")
    catalog.write_text(catalog.read_text().replace("preset: balanced", "preset: performance"))
    assert _hashes(workspace / "specs" / "smoke.yaml") == before


def test_engine_arg_that_changes_outputs_changes_hashes(workspace: Path) -> None:
    catalog = workspace / "specs" / "models.yaml"
    before = _hashes(workspace / "specs" / "smoke.yaml")
    catalog.write_text(catalog.read_text().replace("max_model_len: 2048", "max_model_len: 1024"))
    after = _hashes(workspace / "specs" / "smoke.yaml")
    assert all(after[k] != before[k] for k in before)


def test_dataset_content_change_changes_hash(workspace: Path) -> None:
    data = workspace / "specs" / "data" / "arithmetic.jsonl"
    before = _hashes(workspace / "specs" / "smoke.yaml")
    data.write_text(data.read_text().replace('"target": "31"', '"target": "32"', 1))
    assert (
        _hashes(workspace / "specs" / "smoke.yaml")["smol/arithmetic"] != before["smol/arithmetic"]
    )


def test_limit_overrides_mode_and_task_limit_still_caps(repo: Path) -> None:
    plan = compile_plan(load_spec(repo / "specs" / "smoke.yaml"), limit=3)
    assert {u.unit_id: len(u.samples) for u in plan.units} == {
        "smol/arithmetic": 3,
        "smol/humaneval": 3,
    }
    plan = compile_plan(load_spec(repo / "specs" / "smoke.yaml"), limit=50)
    assert {u.unit_id: len(u.samples) for u in plan.units} == {
        "smol/arithmetic": 40,
        "smol/humaneval": 10,
    }


def test_selection_is_seeded_stable_and_in_dataset_order() -> None:
    samples = [Sample(id=f"s{i}", prompt=str(i)) for i in range(100)]
    chosen = select(samples, 10, seed=1)
    assert chosen == select(samples, 10, seed=1)
    assert [s.id for s in chosen] == sorted((s.id for s in chosen), key=lambda x: int(x[1:]))
    assert {s.id for s in select(samples, 10, seed=2)} != {s.id for s in chosen}
    # adding rows keeps earlier picks unless a new row outranks them
    grown = select([*samples, *(Sample(id=f"n{i}", prompt="x") for i in range(5))], 10, seed=1)
    assert len({s.id for s in grown} & {s.id for s in chosen}) >= 5


def test_chat_prompt_renders_the_template_into_one_user_message(repo: Path) -> None:
    plan = compile_plan(load_spec(repo / "specs" / "smoke.yaml"), limit=1)
    arithmetic, humaneval = plan.units
    assert arithmetic.prompts[0] == [
        {"role": "user", "content": f"{arithmetic.samples[0].prompt} Answer with the number only."}
    ]
    assert humaneval.samples[0].prompt in humaneval.prompts[0][0]["content"]  # type: ignore[index]


def test_unknown_template_field_is_a_spec_error_at_the_template_line(workspace: Path) -> None:
    spec = workspace / "specs" / "smoke.yaml"
    _edit(spec, {"prompt.template": "{question} please"}, task=0)
    with pytest.raises(SpecError, match=r"smoke\.yaml:\d+: prompt\.template uses \{question\}"):
        compile_plan(load_spec(spec))


def test_missing_dataset_file_names_spec_line_and_path(workspace: Path) -> None:
    (workspace / "specs" / "data" / "arithmetic.jsonl").unlink()
    with pytest.raises(
        SpecError, match=r"smoke\.yaml:\d+: tasks\[0\]\.dataset\.source: .*not found"
    ):
        compile_plan(load_spec(workspace / "specs" / "smoke.yaml"))


def test_missing_adapter_directory_is_a_spec_error(workspace: Path) -> None:
    catalog = workspace / "specs" / "models.yaml"
    smol = "engine_args: {max_model_len: 2048}\n"
    catalog.write_text(
        catalog.read_text().replace(
            smol, smol + "    adapters: [{id: sql, path: adapters/does-not-exist}]\n", 1
        )
    )
    with pytest.raises(SpecError, match=r"models\.yaml:\d+: adapter directory not found"):
        compile_plan(load_spec(workspace / "specs" / "smoke.yaml"))
