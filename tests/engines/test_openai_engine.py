"""The openai engine against a real local HTTP stand-in: retries, errors, order, logprobs."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest
from openai_standin import Behaviour, standin

from evalspec.engines.openai_client import ClientConfig, retry_hook_supported
from evalspec.engines.openai_engine import OpenAIConfig, OpenAIEngine
from evalspec.errors import InfraError
from evalspec.spec.models import GenerationSpec

PARAMS = GenerationSpec(max_tokens=8)


def engine(
    base_url: str,
    retries: int = 3,
    concurrency: int = 4,
    backoff_s: float = 0.01,
    api_key: str | None = "k",
    timeout_s: float = 5.0,
    extra_body: tuple[tuple[str, object], ...] = (),
) -> OpenAIEngine:
    client = ClientConfig(
        base_url=base_url,
        api_key=api_key,
        timeout_s=timeout_s,
        max_retries=retries,
        backoff_s=backoff_s,
    )
    config = OpenAIConfig(
        client=client, model="standin", max_concurrency=concurrency, extra_body=extra_body
    )
    return OpenAIEngine(config)


def first_retry_gap(behaviour: Behaviour, **engine_kwargs: object) -> float:
    """Seconds between the first request and its retry, against the stand-in."""
    with standin(behaviour) as url:
        (completion,), _ = engine(url, concurrency=1, **engine_kwargs).generate(  # type: ignore[arg-type]
            [chat("hi")], PARAMS
        )
    assert completion.error is None, completion.error
    return behaviour.arrivals[1] - behaviour.arrivals[0]


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


def test_408_and_409_are_retried_like_the_sdk_does() -> None:
    behaviour = Behaviour(failures=[408, 409])
    with standin(behaviour) as url:
        (completion,), _ = engine(url, concurrency=1).generate([chat("hi")], PARAMS)
    assert completion.error is None and completion.text == "echo:hi"
    assert behaviour.requests == 3


def test_persistent_500_becomes_a_per_sample_infrastructure_error() -> None:
    behaviour = Behaviour(always=500)
    with standin(behaviour) as url:
        completions, _ = engine(url, retries=2).generate([chat("a"), chat("b")], PARAMS)
    assert [c.text for c in completions] == ["", ""]
    for c in completions:
        assert c.error is not None
        assert c.error.startswith(f"POST {url}/chat/completions: HTTP 500: ")
        assert "scripted 500" in c.error and c.error.endswith("(gave up after 3 attempts)")
    assert behaviour.requests == 6  # 2 samples x (1 try + 2 retries)


def test_client_errors_are_not_retried() -> None:
    behaviour = Behaviour(always=400)
    with standin(behaviour) as url:
        (completion,), _ = engine(url).generate([chat("a")], PARAMS)
    assert completion.error is not None and "HTTP 400" in completion.error
    assert completion.error.endswith("(1 attempt)")
    assert behaviour.requests == 1


def test_connection_refused_is_an_error_not_a_crash() -> None:
    with standin(Behaviour()) as url:
        pass  # the port is closed again
    (completion,), _ = engine(url, retries=1).generate([chat("a")], PARAMS)
    assert completion.error is not None
    assert completion.error.startswith(f"POST {url}/chat/completions: connection failed (")
    assert completion.error.endswith("(gave up after 2 attempts)")


def test_a_request_that_times_out_names_the_timeout() -> None:
    with standin(Behaviour()) as url:
        (completion,), _ = engine(url, retries=0, timeout_s=0.2).generate(
            [chat("sleep=0.6 slow")], PARAMS
        )
    assert completion.error is not None
    assert completion.error.endswith(": timed out after 0.2 s (1 attempt)")


def test_retry_after_ms_is_honoured() -> None:
    gap = first_retry_gap(Behaviour(failures=[(503, {"retry-after-ms": "400"})]))
    assert gap >= 0.38  # the server's 0.4 s, not the 0.01 s backoff


def test_date_form_retry_after_is_honoured() -> None:
    retry_at = int(time.time()) + 2  # an HTTP date has whole seconds
    behaviour = Behaviour(failures=[(503, {"Retry-After": formatdate(retry_at, usegmt=True)})])
    first_retry_gap(behaviour)
    assert behaviour.arrivals[1] >= retry_at - 0.05  # not the 0.01 s backoff


def test_retry_backoff_s_is_the_first_delay_when_the_server_names_none() -> None:
    assert retry_hook_supported()  # the installed SDK computes delays where the hook expects
    slow = first_retry_gap(Behaviour(failures=[500]), backoff_s=0.4)
    fast = first_retry_gap(Behaviour(failures=[500]), backoff_s=0.01)
    assert slow >= 0.4 * 0.75  # the SDK's jitter takes off at most 25%
    assert fast < 0.3  # the SDK's own first delay would be at least 0.375 s


def test_the_key_is_sent_as_bearer_and_no_key_means_no_authorization_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "must-not-leak")  # the SDK's own fallback
    behaviour = Behaviour()
    with standin(behaviour) as url:
        engine(url, api_key="k").generate([chat("a")], PARAMS)
        engine(url, api_key=None).generate([chat("b")], PARAMS)
        engine(url, api_key=None).loglikelihood([("The sky is", " blue")])
    assert behaviour.authorization == ["Bearer k", None, None]


def test_engine_args_are_extra_body_fields_under_the_requests_own() -> None:
    behaviour = Behaviour()
    extra = (("top_k", 1), ("temperature", 9.0), ("repetition_penalty", 1.1))
    with standin(behaviour) as url:
        engine(url, extra_body=extra).generate([chat("a"), "raw"], PARAMS)
        engine(url, extra_body=extra).loglikelihood([("a b", " c")])
    for body in behaviour.bodies:
        assert body["top_k"] == 1 and body["repetition_penalty"] == 1.1
        assert body["temperature"] == 0.0  # the generation setting, not the engine arg
    assert {body.get("echo") for body in behaviour.bodies} == {None, True}


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


def test_a_failed_loglikelihood_request_is_an_infrastructure_error() -> None:
    with standin(Behaviour(always=503)) as url, pytest.raises(InfraError) as info:
        engine(url, retries=1).loglikelihood([("The sky is", " blue")])
    assert str(info.value) == (
        f"log-likelihood request failed: POST {url}/completions: HTTP 503: "
        '{"error": {"message": "scripted 503"}} (gave up after 2 attempts)'
    )


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
