"""The hf engine (transformers + PEFT) against vLLM on the built-in model: parity, LoRA, scores.

Same 20 arithmetic chats (the smoke spec's prompts), greedy, max_tokens 16, fp32 on
both engines. Greedy outputs of two engines need not be identical (different kernels,
batching, padding), so the test measures and prints the exact-agreement rate and
requires the numeric-accuracy gap to stay within ACCURACY_TOLERANCE.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from lora_factory import save_lora

from evalspec.cli import cli
from evalspec.engines import Engine, EnginePool, EngineRequest, default_pool, engine_request
from evalspec.engines.hf_engine import HfEngine
from evalspec.plan import Unit, compile_plan
from evalspec.scoring import score_outputs
from evalspec.spec import load_spec
from evalspec.spec.models import AdapterSpec, ModelSpec

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ACCURACY_TOLERANCE = 0.10  # |accuracy(hf) - accuracy(vllm)| on the 20 items
MIN_AGREEMENT = 0.75  # share of the 20 greedy outputs that are identical strings


@pytest.fixture(scope="module")
def smoke() -> tuple[Unit, EngineRequest]:
    plan = compile_plan(load_spec(REPO / "specs" / "smoke.yaml"), limit=20)
    (group,) = plan.groups
    (unit,) = [u for u in group.units if u.task.id == "arithmetic"]
    return unit, group.request


@pytest.fixture(scope="module")
def hf_pool() -> EnginePool:
    pool = EnginePool()  # its own pool: the session's shared vLLM engine stays resident
    yield pool  # type: ignore[misc]
    pool.close()


def _hf_engine(
    pool: EnginePool, smoke: tuple[Unit, EngineRequest], adapters: list[tuple[str, str, int]]
) -> Engine:
    """The smoke model on the hf engine (default preset: batch 8 on CPU, fp32)."""
    unit, vllm_request = smoke
    model = ModelSpec(id=unit.model.id, source=unit.model.source, engine="hf")
    return pool.get(engine_request(model, vllm_request.source, adapters))


@pytest.fixture(scope="module")
def outputs(smoke: tuple[Unit, EngineRequest], hf_pool: EnginePool) -> dict[str, object]:
    unit, vllm_request = smoke
    vllm = default_pool().get(vllm_request)
    start = time.perf_counter()
    v_out, v_stats = vllm.generate(unit.prompts, unit.task.generation)
    v_wall = time.perf_counter() - start
    start = time.perf_counter()
    hf = _hf_engine(hf_pool, smoke, [])
    h_load = time.perf_counter() - start
    h_out, h_stats = hf.generate(unit.prompts, unit.task.generation)
    return {
        "vllm": [c.text for c in v_out],
        "hf": [c.text for c in h_out],
        "hf_completions": h_out,
        "timing": (v_wall, v_stats.tokens_per_s, h_load, h_stats.wall_s, h_stats.tokens_per_s),
        "engine": hf,
    }


def _accuracy(unit: Unit, texts: list[str]) -> float:
    scores = score_outputs(unit.task.scorer, unit.samples, texts)
    return sum(s.value for s in scores) / len(scores)


def test_hf_greedy_outputs_and_scores_match_vllm(
    smoke: tuple[Unit, EngineRequest], outputs: dict[str, object]
) -> None:
    unit, _ = smoke
    v_texts, h_texts = outputs["vllm"], outputs["hf"]
    assert isinstance(v_texts, list) and isinstance(h_texts, list)
    agree = sum(a == b for a, b in zip(v_texts, h_texts, strict=True)) / len(v_texts)
    acc_v, acc_h = _accuracy(unit, v_texts), _accuracy(unit, h_texts)
    v_wall, v_tps, h_load, h_wall, h_tps = outputs["timing"]  # type: ignore[misc]
    print(
        f"\nhf vs vllm on {len(v_texts)} arithmetic chats: exact agreement {agree:.2f}, "
        f"accuracy hf {acc_h:.2f} vllm {acc_v:.2f}; vllm generate {v_wall:.1f} s "
        f"({v_tps:.1f} tok/s), hf load {h_load:.1f} s, generate {h_wall:.1f} s ({h_tps:.1f} tok/s)"
    )
    for a, b in zip(v_texts, h_texts, strict=True):
        if a != b:
            print(f"  vllm {a!r} | hf {b!r}")
    assert abs(acc_h - acc_v) <= ACCURACY_TOLERANCE
    assert agree >= MIN_AGREEMENT


def test_hf_completions_count_tokens_and_keep_prompt_order(
    smoke: tuple[Unit, EngineRequest], outputs: dict[str, object]
) -> None:
    unit, _ = smoke
    completions = outputs["hf_completions"]
    assert isinstance(completions, list) and len(completions) == len(unit.prompts)
    for c in completions:
        assert c.prompt_tokens > 10 and 0 < c.completion_tokens <= 16
        assert c.finish_reason in ("stop", "length")
    engine = outputs["engine"]
    assert isinstance(engine, HfEngine)
    # one prompt alone gives the same text as inside the padded batch
    for i in (0, 7):
        (single,), _ = engine.generate([unit.prompts[i]], unit.task.generation)
        assert single.text == completions[i].text
    fingerprint = engine.fingerprint()
    assert fingerprint["engine"] == "hf" and fingerprint["dtype"] == "float32"
    assert {"torch", "peft", "engine_version", "device"} <= set(fingerprint)


def test_hf_stop_strings_and_sampling_seed(
    smoke: tuple[Unit, EngineRequest], outputs: dict[str, object]
) -> None:
    unit, _ = smoke
    engine = outputs["engine"]
    assert isinstance(engine, HfEngine)
    prompts, short = unit.prompts[:3], unit.task.generation.model_copy(update={"max_tokens": 8})
    stopped, _ = engine.generate(prompts, short.model_copy(update={"stop": [" "]}))
    assert all(" " not in c.text for c in stopped)
    sampling = short.model_copy(update={"temperature": 1.0, "seed": 7})
    first, _ = engine.generate(prompts, sampling)
    again, _ = engine.generate(prompts, sampling)
    assert [c.text for c in first] == [c.text for c in again]
    same, _ = engine.generate(prompts, sampling, seeds=[7, 7, 7])  # = params.seed for all
    assert [c.text for c in same] == [c.text for c in first]
    mixed, _ = engine.generate(prompts, sampling, seeds=[7, 8, 7])  # batched per seed
    mixed_again, _ = engine.generate(prompts, sampling, seeds=[7, 8, 7])
    assert [c.text for c in mixed] == [c.text for c in mixed_again]


def test_loglikelihood_batched_equals_single_and_ranks_answers(
    outputs: dict[str, object],
) -> None:
    engine = outputs["engine"]
    assert isinstance(engine, HfEngine)
    pairs = [
        ("The capital of France is", " Paris"),
        ("The capital of France is", " Banana"),
        ("2 + 2 =", " 4"),
        ("2 + 2 =", " 9"),
        ("Question: What is 3 * 10?\nAnswer: ", "30"),
        ("", "Hello"),
        ("2 + 2 =", ""),
    ]
    batched = engine.loglikelihood(pairs)
    single = [engine.loglikelihood([p])[0] for p in pairs]
    assert batched == pytest.approx(single, abs=1e-3)
    assert batched[0] > batched[1] and batched[2] > batched[3]
    assert all(x < 0 for x in batched[:6]) and batched[6] == 0.0


def test_hf_zero_lora_gives_base_outputs_and_random_lora_changes_them(
    smoke: tuple[Unit, EngineRequest],
    outputs: dict[str, object],
    hf_pool: EnginePool,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    unit, _ = smoke
    root = tmp_path_factory.mktemp("hf-lora")
    save_lora(root / "zero", zero=True)
    save_lora(root / "noise", zero=False)
    engine = _hf_engine(
        hf_pool, smoke, [("zero", str(root / "zero"), 8), ("noise", str(root / "noise"), 8)]
    )
    prompts, params = unit.prompts[:6], unit.task.generation
    plain = outputs["hf"]
    assert isinstance(plain, list)
    base = [c.text for c in engine.generate(prompts, params)[0]]
    zero = [c.text for c in engine.generate(prompts, params, AdapterSpec(id="zero", path="-"))[0]]
    noise = [c.text for c in engine.generate(prompts, params, AdapterSpec(id="noise", path="-"))[0]]
    assert base == plain[:6]
    assert zero == base
    assert sum(a != b for a, b in zip(noise, base, strict=True)) >= len(base) // 2


def test_check_runs_an_hf_spec_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "arithmetic.jsonl").write_text(
        (REPO / "specs" / "data" / "arithmetic.jsonl").read_text()
    )
    (tmp_path / "hf.yaml").write_text(
        """version: 1
name: hf
models:
  - {id: smol-hf, source: builtin:smollm2-135m-instruct, engine: hf, preset: memory_optimized}
tasks:
  - id: arithmetic
    dataset: {format: jsonl, source: arithmetic.jsonl}
    prompt: {template: "{prompt} Answer with the number only."}
    generation: {max_tokens: 12}
    scorer: {type: numeric}
samples: {mode: validate}
"""
    )
    runs = tmp_path / "runs"
    result = CliRunner().invoke(
        cli, ["check", str(tmp_path / "hf.yaml"), "--runs-dir", str(runs), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "smol-hf" in result.output and "accuracy" in result.output
