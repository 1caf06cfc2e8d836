"""The `hf` engine: transformers + PEFT adapters (+ bitsandbytes 4/8-bit on CUDA), batched.

Arguments it reads from the engine request (the rest go to `from_pretrained`):
`dtype` (float32 on CPU, bfloat16 on CUDA by default), `quantization` (none | 4bit |
8bit; CUDA only), `batch_size` (from the preset) and `seed` (sampling when a task
gives none). All adapters of the model are loaded once with PEFT and switched per
call with `set_adapter`; the base model runs inside `disable_adapter()`.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from evalspec.engines.base import BatchStats, Completion, LocalModelConfig, Prompt, prompt_seeds
from evalspec.engines.hf_batching import generated_length, length_batches, truncate_at_stop
from evalspec.engines.loglikelihood import context_text, encode_pair, prefix_token, tokenize_with
from evalspec.engines.presets import device_name
from evalspec.errors import InfraError
from evalspec.spec.models import AdapterSpec, GenerationSpec

QUANTIZATIONS = ("none", "4bit", "8bit")


@dataclass(frozen=True)
class _Settings:
    dtype: str
    quantization: str
    batch_size: int
    seed: int
    load_kwargs: dict[str, Any]


def settings(config: LocalModelConfig) -> _Settings:
    """Split the engine args into the engine's own settings and `from_pretrained` kwargs;
    a quantization request without CUDA is an InfraError (bitsandbytes needs a GPU)."""
    args = dict(config.kwargs)
    quantization = str(args.pop("quantization", "none"))
    if quantization not in QUANTIZATIONS:
        raise InfraError(f"quantization '{quantization}' is not one of {', '.join(QUANTIZATIONS)}")
    if quantization != "none" and config.device != "cuda":
        raise InfraError(
            f"quantization: {quantization} needs a CUDA GPU (bitsandbytes loads 4/8-bit weights "
            f"on CUDA only) but this machine runs the hf engine on {config.device}; "
            "use `quantization: none` here"
        )
    default_dtype = "bfloat16" if config.device == "cuda" else "float32"
    return _Settings(
        dtype=str(args.pop("dtype", default_dtype)),
        quantization=quantization,
        batch_size=int(args.pop("batch_size", 8)),
        seed=int(args.pop("seed", 0)),
        load_kwargs=args,
    )


class HfEngine:
    """A loaded transformers model (+ PEFT adapters). Build it with `HfEngine.load(config)`."""

    def __init__(self, model: Any, tokenizer: Any, config: LocalModelConfig, s: _Settings) -> None:
        self._model = model
        self._tok = tokenizer
        self.config = config
        self._s = s
        self._adapter_ids = {aid for aid, _ in config.adapters}
        eos = tokenizer.eos_token_id
        self._eos_ids = frozenset(eos if isinstance(eos, list) else [eos])
        self.load_s = 0.0

    @classmethod
    def load(cls, config: LocalModelConfig) -> HfEngine:
        s = settings(config)
        start = time.perf_counter()
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise InfraError(f"the hf engine needs torch and transformers ({exc})") from exc
        dtype = getattr(torch, s.dtype, None)
        if not isinstance(dtype, torch.dtype):
            raise InfraError(f"dtype '{s.dtype}' is not a torch dtype (float32, bfloat16, ...)")
        kwargs: dict[str, Any] = {"dtype": dtype, "revision": config.revision, **s.load_kwargs}
        if config.device == "cuda":
            kwargs.setdefault("device_map", "auto")
        if s.quantization != "none":
            kwargs["quantization_config"] = _bnb_config(s.quantization, dtype)
        try:
            model = AutoModelForCausalLM.from_pretrained(config.model, **kwargs)
            model = _with_adapters(model, config.adapters)
            tokenizer = AutoTokenizer.from_pretrained(config.model, revision=config.revision)
        except InfraError:
            raise
        except Exception as exc:  # transformers/peft raise many types on a failed load
            raise InfraError(f"transformers could not load {config.model}: {exc}") from exc
        model.eval()
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        engine = cls(model, tokenizer, config, s)
        engine.load_s = time.perf_counter() - start
        return engine

    @property
    def batch_size(self) -> int:
        return self._s.batch_size

    def generate(
        self,
        prompts: Sequence[Prompt],
        params: GenerationSpec,
        adapter: AdapterSpec | None = None,
        seeds: Sequence[int | None] | None = None,
    ) -> tuple[list[Completion], BatchStats]:
        """Batches of similar length; prompts with different seeds go in different batches
        (transformers seeds a whole `generate` call, not a row)."""
        texts, special = self._render(prompts)
        encoded: list[list[int]] = [
            self._tok(t, add_special_tokens=special)["input_ids"] for t in texts
        ]
        by_seed: dict[int | None, list[int]] = {}
        for i, seed in enumerate(prompt_seeds(params, len(prompts), seeds)):
            by_seed.setdefault(seed, []).append(i)
        results: list[Completion | None] = [None] * len(encoded)
        start = time.perf_counter()
        with self._adapter(adapter):
            for seed, members in by_seed.items():
                seeded = params.model_copy(update={"seed": seed})
                for batch in length_batches([len(encoded[i]) for i in members], self._s.batch_size):
                    picked = [members[j] for j in batch]
                    t0 = time.perf_counter()
                    rows = self._generate_batch([encoded[i] for i in picked], seeded)
                    latency = time.perf_counter() - t0  # a request waits for its whole batch
                    for i, (text, n_new, finish) in zip(picked, rows, strict=True):
                        results[i] = Completion(text, len(encoded[i]), n_new, finish, latency)
        wall = time.perf_counter() - start
        completions = [c for c in results if c is not None]
        return completions, BatchStats.of(completions, wall)

    def loglikelihood(
        self, pairs: Sequence[tuple[Prompt, str]], adapter: AdapterSpec | None = None
    ) -> list[float]:
        """Sum of the continuation's token log-probabilities given the context, per pair
        (tokens split as lm-evaluation-harness splits them; chat contexts through the chat
        template with the generation prompt)."""
        import torch

        tokenize, prefix = tokenize_with(self._tok), prefix_token(self._tok)
        rows: list[tuple[list[int], int]] = []
        for context, continuation in pairs:
            enc = encode_pair(context_text(context, self._tok), continuation, tokenize, prefix)
            rows.append((list(enc.ids), enc.start))
        scores = [0.0] * len(rows)
        pad = int(self._tok.pad_token_id)
        with self._adapter(adapter), torch.inference_mode():
            for batch in length_batches([len(w) for w, _ in rows], self._s.batch_size):
                width = max(len(rows[i][0]) for i in batch)
                ids = [rows[i][0] + [pad] * (width - len(rows[i][0])) for i in batch]
                mask = [[1] * len(rows[i][0]) + [0] * (width - len(rows[i][0])) for i in batch]
                input_ids = torch.tensor(ids, device=self._input_device())
                attention = torch.tensor(mask, device=self._input_device())
                logits = self._model(input_ids=input_ids, attention_mask=attention).logits
                logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
                token_lp = logp.gather(-1, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
                for row, i in enumerate(batch):
                    whole, begin = rows[i]
                    scores[i] = float(token_lp[row, begin - 1 : len(whole) - 1].sum())
        return scores

    def fingerprint(self) -> dict[str, Any]:
        import peft
        import torch
        import transformers

        return {
            "engine": "hf",
            "engine_version": transformers.__version__,
            "torch": torch.__version__,
            "peft": peft.__version__,
            "device": device_name(self.config.device),
            "dtype": self._s.dtype,
            "quantization": self._s.quantization,
        }

    def close(self) -> None:
        self._model = None
        if self.config.device == "cuda":
            import torch

            torch.cuda.empty_cache()

    def _render(self, prompts: Sequence[Prompt]) -> tuple[list[str], bool]:
        """Prompt texts and whether the tokenizer should add its special tokens."""
        chats = [p for p in prompts if not isinstance(p, str)]
        if not chats:
            return [str(p) for p in prompts], True
        if len(chats) != len(prompts):
            raise ValueError("a batch mixes chat and raw prompts")
        texts = [
            str(self._tok.apply_chat_template(c, add_generation_prompt=True, tokenize=False))
            for c in chats
        ]
        return texts, False  # the chat template already holds the special tokens

    def _generate_batch(
        self, ids: list[list[int]], params: GenerationSpec
    ) -> list[tuple[str, int, str]]:
        import torch
        from transformers import GenerationConfig

        padded = self._tok.pad({"input_ids": ids}, return_tensors="pt")
        sample = params.temperature > 0
        gen = GenerationConfig(  # type: ignore[no-untyped-call]
            max_new_tokens=params.max_tokens,
            do_sample=sample,
            temperature=params.temperature if sample else None,
            top_p=params.top_p if sample else None,
            top_k=None,
            pad_token_id=self._tok.pad_token_id,
            eos_token_id=sorted(self._eos_ids),
            stop_strings=list(params.stop) or None,
        )
        if sample:
            torch.manual_seed(params.seed if params.seed is not None else self._s.seed)
        device = self._input_device()
        with torch.inference_mode():
            out = self._model.generate(
                input_ids=padded["input_ids"].to(device),
                attention_mask=padded["attention_mask"].to(device),
                generation_config=gen,
                tokenizer=self._tok if params.stop else None,
            )
        rows = []
        for tokens in out[:, padded["input_ids"].shape[1] :].tolist():
            n_new, ended = generated_length(tokens, self._eos_ids)
            text = self._tok.decode(tokens[:n_new], skip_special_tokens=True)
            text, stopped = truncate_at_stop(text, params.stop)
            if stopped and ended:
                n_new -= 1  # generation halted at the stop string; the eos after it is padding
            rows.append((text, n_new, "stop" if stopped or ended else "length"))
        return rows

    @contextmanager
    def _adapter(self, adapter: AdapterSpec | None) -> Iterator[None]:
        if adapter is not None and adapter.id not in self._adapter_ids:
            raise InfraError(f"adapter '{adapter.id}' was not registered with this engine")
        if not self._adapter_ids:
            yield
        elif adapter is None:
            with self._model.disable_adapter():
                yield
        else:
            self._model.set_adapter(adapter.id)
            yield

    def _input_device(self) -> Any:
        return self._model.device


def _with_adapters(model: Any, adapters: Sequence[tuple[str, str]]) -> Any:
    """The base model wrapped in one PeftModel holding every adapter under its id."""
    if not adapters:
        return model
    from peft import PeftModel

    (first_id, first_path), *rest = adapters
    peft_model = PeftModel.from_pretrained(model, first_path, adapter_name=first_id)
    for adapter_id, path in rest:
        peft_model.load_adapter(path, adapter_name=adapter_id)
    return peft_model


def _bnb_config(quantization: str, dtype: Any) -> Any:
    """bitsandbytes settings: QLoRA-style NF4 (compute in the engine dtype) or LLM.int8."""
    from transformers import BitsAndBytesConfig

    if importlib.util.find_spec("bitsandbytes") is None:
        raise InfraError(
            f"quantization: {quantization} needs bitsandbytes on a CUDA machine; "
            "pip install bitsandbytes"
        )
    if quantization == "4bit":
        return BitsAndBytesConfig(  # type: ignore[no-untyped-call]
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=dtype,
            bnb_4bit_use_double_quant=True,
        )
    return BitsAndBytesConfig(load_in_8bit=True)  # type: ignore[no-untyped-call]
