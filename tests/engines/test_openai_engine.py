"""The openai engine against a real local HTTP stand-in: retries, errors, order, logprobs."""

from __future__ import annotations

import pytest
from openai_standin import Behaviour, standin

from evalspec.engines.openai_client import ClientConfig
from evalspec.engines.openai_engine import OpenAIConfig, OpenAIEngine
from evalspec.errors import InfraError
from evalspec.spec.models import GenerationSpec

PARAMS = GenerationSpec(max_tokens=8)


def engine(base_url: str, retries: int = 3, concurrency: int = 4) -> OpenAIEngine:
    client = ClientConfig(
        base_url=base_url, api_key="k", timeout_s=5.0, max_retries=retries, backoff_s=0.01
    )
    return OpenAIEngine(OpenAIConfig(client=client, model="standin", max_concurrency=concurrency))


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_429_then_200_is_retried_and_succeeds() -> None:
    behaviour = Behaviour(failures=[429, 503])
    with standin(behaviour) as url:
        (completion,), stats = engine(url, concurrency=1).generate([chat("hi")], PARAMS)
    assert completion.error is None
    assert completion.text == "echo:hi"
    assert behaviour.requests == 3
    assert stats.completion_tokens == 2


def test_persistent_500_becomes_a_per_sample_infrastructure_error() -> None:
    behaviour = Behaviour(always=500)
    with standin(behaviour) as url:
        completions, _ = engine(url, retries=2).generate([chat("a"), chat("b")], PARAMS)
    assert [c.text for c in completions] == ["", ""]
    for c in completions:
        assert c.error is not None and "HTTP 500" in c.error and "3 attempts" in c.error
    assert behaviour.requests == 6  # 2 samples x (1 try + 2 retries)


def test_client_errors_are_not_retried() -> None:
    behaviour = Behaviour(always=400)
    with standin(behaviour) as url:
        (completion,), _ = engine(url).generate([chat("a")], PARAMS)
    assert completion.error is not None and "HTTP 400" in completion.error
    assert behaviour.requests == 1


def test_connection_refused_is_an_error_not_a_crash() -> None:
    with standin(Behaviour()) as url:
        pass  # the port is closed again
    (completion,), _ = engine(url, retries=1).generate([chat("a")], PARAMS)
    assert completion.error is not None and "connection failed" in completion.error


def test_order_is_kept_under_concurrency_and_concurrency_is_bounded() -> None:
    behaviour = Behaviour()
    delays = [0.3, 0.0, 0.2, 0.0, 0.1, 0.0, 0.25, 0.05]
    prompts = [chat(f"sleep={d} #{i}") for i, d in enumerate(delays)]
    with standin(behaviour) as url:
        completions, _ = engine(url, concurrency=3).generate(prompts, PARAMS)
    assert [c.text for c in completions] == [f"echo:sleep={d} #{i}" for i, d in enumerate(delays)]
    # bounded, and really concurrent (the 0.3 s request is still open while others arrive)
    assert 2 <= behaviour.max_in_flight <= 3


def test_per_prompt_seeds_override_the_generation_seed() -> None:
    """The n samples of a prompt go out in one batch, each request with its own seed."""
    behaviour = Behaviour()
    params = GenerationSpec(temperature=0.7, seed=3)
    with standin(behaviour) as url:
        engine(url).generate([chat("a"), chat("b"), chat("c")], params, seeds=[3, 4, None])
        engine(url).generate([chat("d")], params)
    assert behaviour.seeds == {"a": 3, "b": 4, "c": None, "d": 3}
    with pytest.raises(ValueError, match="2 prompts but 1 seeds"):
        engine(url).generate([chat("e"), chat("f")], params, seeds=[1])


def test_raw_prompts_use_the_completions_endpoint() -> None:
    with standin(Behaviour()) as url:
        completions, _ = engine(url).generate(["one", "two"], PARAMS)
    assert [c.text for c in completions] == ["echo:one", "echo:two"]
    assert completions[0].finish_reason == "length"


def test_loglikelihood_sums_the_continuation_tokens_only() -> None:
    with standin(Behaviour()) as url:
        values = engine(url).loglikelihood([("The sky is", " blue"), ("a b", " c d e")])
    assert values == [-0.5, -1.5]


def test_missing_prompt_logprobs_is_a_clear_infrastructure_error() -> None:
    with standin(Behaviour(logprobs=False)) as url, pytest.raises(InfraError) as info:
        engine(url).loglikelihood([("The sky is", " blue")])
    assert "did not return prompt logprobs" in str(info.value)
    assert info.value.exit_code == 3


def test_fingerprint_names_the_engine_and_the_served_model() -> None:
    with standin(Behaviour()) as url:
        fingerprint = engine(url).fingerprint()
    assert fingerprint["engine"] == "openai"
    assert fingerprint["server_model"] == "standin"
    assert fingerprint["server_model_root"] == "standin-root"
    assert fingerprint["engine_version"] == "standin-1"
