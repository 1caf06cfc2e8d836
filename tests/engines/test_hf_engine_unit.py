"""The hf engine without a model: batching, stop strings, args, quantization errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from evalspec.engines import engine_request
from evalspec.engines.base import LocalModelConfig
from evalspec.engines.hf_batching import generated_length, length_batches, truncate_at_stop
from evalspec.engines.hf_engine import HfEngine, settings
from evalspec.engines.sources import ModelSource
from evalspec.errors import InfraError
from evalspec.spec.models import ModelSpec

SOURCE = ModelSource("local", "/nonexistent/model", None, "tree:x")


def _hf(**fields: object) -> ModelSpec:
    return ModelSpec.model_validate({"id": "m", "source": "x/y", "engine": "hf", **fields})


def test_length_batches_cover_every_index_once_longest_first() -> None:
    lengths = [3, 9, 1, 9, 4, 7, 2]
    batches = length_batches(lengths, 3)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths, reverse=True)
    assert batches[0][:2] == [1, 3]  # ties keep input order (stable)


def test_results_written_back_by_index_keep_the_callers_order() -> None:
    prompts = ["ccc", "a", "bbbbb", "dd"]
    out: list[str | None] = [None] * len(prompts)
    for batch in length_batches([len(p) for p in prompts], 2):
        for i in batch:
            out[i] = prompts[i].upper()
    assert out == ["CCC", "A", "BBBBB", "DD"]


def test_length_batches_reject_zero_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        length_batches([1], 0)


@pytest.mark.parametrize(
    ("text", "stops", "expected"),
    [
        ("42\nmore", ["\n"], ("42", True)),
        ("def f():\n  pass\ndef g", ["\nclass ", "\ndef "], ("def f():\n  pass", True)),
        ("a STOP b END", ["END", "STOP"], ("a ", True)),  # earliest position wins, not list order
        ("no stop here", ["\n"], ("no stop here", False)),
        ("x", [], ("x", False)),
        ("x", [""], ("x", False)),  # an empty stop string never matches
    ],
)
def test_truncate_at_the_first_stop_string(
    text: str, stops: list[str], expected: tuple[str, bool]
) -> None:
    assert truncate_at_stop(text, stops) == expected


def test_generated_length_stops_at_first_eos_and_counts_it() -> None:
    assert generated_length([5, 6, 2, 2, 2], frozenset({2})) == (3, True)
    assert generated_length([5, 6, 7], frozenset({2})) == (3, False)
    assert generated_length([0, 5], frozenset({0, 2})) == (1, True)


def test_quantization_without_cuda_is_an_infra_error_before_loading() -> None:
    config = LocalModelConfig("/nonexistent/model", None, "cpu", (("quantization", "4bit"),))
    with pytest.raises(InfraError, match="needs a CUDA GPU"):
        settings(config)
    with pytest.raises(InfraError, match="bitsandbytes"):
        HfEngine.load(config)


def test_settings_split_engine_args_from_load_kwargs() -> None:
    config = LocalModelConfig(
        "m", None, "cuda", (("attn_implementation", "sdpa"), ("batch_size", 32), ("seed", 3))
    )
    s = settings(config)
    assert (s.dtype, s.batch_size, s.seed, s.quantization) == ("bfloat16", 32, 3, "none")
    assert s.load_kwargs == {"attn_implementation": "sdpa"}
    assert settings(LocalModelConfig("m", None, "cpu", ())).dtype == "float32"


@pytest.mark.parametrize(
    ("preset", "cpu", "cuda"),
    [("memory_optimized", 4, 16), ("balanced", 8, 32), ("performance", 16, 64)],
)
def test_hf_request_takes_batch_size_from_its_presets_and_no_vllm_args(
    preset: str, cpu: int, cuda: int
) -> None:
    for device, size in (("cpu", cpu), ("cuda", cuda)):
        args = dict(engine_request(_hf(preset=preset), SOURCE, [], device).args)
        assert args["batch_size"] == size
        assert not {"max_num_seqs", "kv_cache_gib", "enable_lora", "max_lora_rank"} & set(args)


def test_hf_output_args_keep_dtype_and_quantization_not_batch_size() -> None:
    request = engine_request(
        _hf(quantization="4bit", preset="performance"),
        SOURCE,
        [("a", str(Path("/x")), 8)],
        "cuda",
    )
    assert request.engine == "hf"
    assert request.output_args() == {"dtype": "bfloat16", "quantization": "4bit", "seed": 0}
    cpu = engine_request(_hf(engine_args={"dtype": "bfloat16"}), SOURCE, [], "cpu")
    assert cpu.output_args()["dtype"] == "bfloat16"  # engine_args override the default


def test_quantization_is_rejected_for_other_engines() -> None:
    with pytest.raises(ValidationError, match="applies to engine hf"):
        ModelSpec.model_validate({"id": "m", "source": "x/y", "quantization": "8bit"})
