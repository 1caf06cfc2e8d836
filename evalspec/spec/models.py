"""Pydantic models of spec v1 and the model catalog: the schema's source of truth.

Scorer blocks are in `evalspec.spec.scorers`, thresholds files in `evalspec.spec.thresholds`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from evalspec.spec.base import Id, Strict
from evalspec.spec.scorers import BINARY_SCORERS, PASS_AT_K, SCORER_METRICS, ScorerSpec
from evalspec.spec.templates import check_template_syntax

# adaptive: every selected sample may be used; the run stops when the gate is decided
SAMPLE_MODES: dict[str, int | None] = {
    "validate": 5,
    "quick": 20,
    "standard": 100,
    "full": None,
    "adaptive": None,
}
PositiveInt = Annotated[int, Field(gt=0)]
ADAPTIVE_FIELDS = ("max", "first_look", "every", "target", "sequential_share")

# Largest sampling seed: vLLM's OpenAI-compatible server takes int64 seeds (`_INT64_MAX` in
# vllm/entrypoints/openai/*/protocol.py); the offline engine fails on seeds above 2**64 - 1
# (its msgpack transport and torch.Generator.manual_seed) and reads -1 as "no seed".
MAX_SEED = 2**63 - 1


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class AdapterSpec(Strict):
    """A LoRA adapter (PEFT directory) applied on top of its model."""

    id: Id
    path: str = Field(description="Directory of a PEFT LoRA adapter (adapter_config.json).")


class ServerSpec(Strict):
    """How evalspec talks to an OpenAI-compatible server (engines openai and vllm-server)."""

    base_url: str | None = Field(
        None,
        description="Endpoint root including /v1, e.g. http://127.0.0.1:8000/v1 "
        "(engine openai only; vllm-server picks a free loopback port).",
    )
    api_key_env: str | None = Field(
        "OPENAI_API_KEY",
        description="Environment variable holding the API key (sent when set; null: none).",
    )
    served_model_name: str | None = Field(
        None,
        description="Model name in requests (default: `source` for openai, the model id "
        "for vllm-server).",
    )
    max_concurrency: int = Field(8, ge=1, description="Requests in flight at once.")
    timeout_s: float = Field(120.0, gt=0.0, description="Per-request timeout, seconds.")
    max_retries: int = Field(
        4, ge=0, description="Retries on 429, 5xx, timeouts and connection errors."
    )
    retry_backoff_s: float = Field(
        0.5, ge=0.0, description="First retry delay; doubles per retry (capped at 30 s)."
    )
    startup_timeout_s: float = Field(
        180.0, gt=0.0, description="vllm-server: how long to wait for /health."
    )


class ModelSpec(Strict):
    id: Id
    source: str = Field(
        description="Hugging Face repo id, local directory, or builtin:NAME "
        "(builtin:smollm2-135m-instruct)."
    )
    revision: str | None = Field(None, description="HF revision (commit, tag, branch).")
    engine: Literal["vllm", "openai", "vllm-server", "hf"] = Field(
        "vllm",
        description="vllm: offline vllm.LLM in this process; openai: an OpenAI-compatible "
        "endpoint (`server.base_url`); vllm-server: evalspec starts `vllm serve` on loopback; "
        "hf: transformers + PEFT in this process.",
    )
    quantization: Literal["none", "4bit", "8bit"] = Field(
        "none",
        description="engine hf: load the base model with bitsandbytes (4bit: NF4, QLoRA-style; "
        "8bit: LLM.int8). Needs a CUDA GPU.",
    )
    preset: Literal["memory_optimized", "balanced", "performance"] = "balanced"
    engine_args: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra engine arguments: vllm.LLM keyword arguments (vllm); hf: "
        "dtype, batch_size, and from_pretrained keyword arguments.",
    )
    adapters: list[AdapterSpec] = Field(default_factory=list)
    server: ServerSpec | None = Field(
        None, description="HTTP settings of the openai and vllm-server engines."
    )

    @model_validator(mode="after")
    def _unique_adapters(self) -> ModelSpec:
        _no_duplicates([a.id for a in self.adapters], "adapter")
        return self

    @model_validator(mode="after")
    def _quantization_fits_engine(self) -> ModelSpec:
        if self.quantization != "none" and self.engine != "hf":
            raise ValueError(
                f"`quantization` applies to engine hf, not {self.engine} "
                "(vLLM: set engine_args.quantization)"
            )
        return self

    @model_validator(mode="after")
    def _server_fits_engine(self) -> ModelSpec:
        base_url = self.server.base_url if self.server else None
        if self.engine == "openai" and base_url is None:
            raise ValueError("engine 'openai' needs `server: {base_url: ...}`")
        if self.engine == "vllm-server" and base_url is not None:
            raise ValueError("engine 'vllm-server' starts its own server; remove `server.base_url`")
        if self.engine not in ("openai", "vllm-server") and self.server is not None:
            raise ValueError(
                f"`server` applies to engines openai and vllm-server, not {self.engine}"
            )
        if self.engine == "openai" and self.adapters:
            raise ValueError(
                "engine 'openai' cannot load adapters; serve them on the server and "
                "point a model's `server.served_model_name` at each"
            )
        return self


DatasetFormat = Literal[
    "jsonl",
    "humaneval",
    "mbpp",
    "gsm8k",
    "math",
    "mmlu",
    "arc",
    "arc_challenge",
    "arc_easy",
    "hellaswag",
    "winogrande",
    "truthfulqa_mc1",
    "truthfulqa_mc2",
    "ifeval",
    "mt_bench",
    "bfcl",
    "pubmedqa",
    "json_extraction",
    "open_qa",
]


class DatasetSpec(Strict):
    """Where a task's samples come from and in which published format they are written."""

    format: DatasetFormat
    source: str = Field(
        description="A file (.jsonl, .jsonl.gz, .json, .csv, .parquet) or directory relative "
        "to the spec file; hf:OWNER/NAME for a Hugging Face dataset already in the local "
        "cache (read offline); or builtin:NAME (builtin:humaneval)."
    )
    split: str | None = Field(
        None,
        description="Split to read from a directory or hf: source (default: the format's, "
        "usually test); files whose name contains the split are read.",
    )
    config: str | None = Field(
        None, description="Dataset configuration (subdirectory) of a directory or hf: source."
    )
    answers: str | None = Field(
        None,
        description="A second file joined to the rows on `id` (BFCL's possible_answer file).",
    )
    tags: list[str] | None = Field(
        None,
        description="Row fields that become sample tags (metrics are also reported per tag); "
        "default: the format's (math: level, type; mmlu: subject; jsonl: a `tags` object).",
    )
    cluster: str | None = Field(
        None,
        description="Row field naming a sample's cluster (samples sharing a passage); "
        "default: the format's, or a `cluster` field.",
    )


class PromptSpec(Strict):
    """How a sample becomes a prompt. `{prompt}` is the sample's prompt text."""

    template: str = Field(
        "{prompt}",
        description="Text with {field} placeholders (sample fields); {{ and }} are literal braces.",
    )
    system: str | None = Field(None, description="System message, a template like `template`.")
    chat: bool = Field(True, description="Apply the model's chat template (false: raw completion).")

    @field_validator("template", "system")
    @classmethod
    def _template_syntax(cls, value: str | None) -> str | None:
        if value is not None:
            check_template_syntax(value)
        return value


class GenerationSpec(Strict):
    max_tokens: int = Field(256, gt=0)
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="0 (greedy) to 2, as vLLM takes.")
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    stop: list[str] = Field(
        default_factory=list, description="Strings that end the generation (none empty)."
    )
    seed: int | None = Field(
        None,
        description="Sampling seed (sample i of n uses seed + i): reproducible sampling; "
        f"0 to {MAX_SEED} (2**63 - 1) with seed + n - 1 in that range.",
    )
    n: int = Field(
        1,
        ge=1,
        le=200,
        description="Samples per prompt (pass@k needs n >= k; n > 1 needs temperature > 0).",
    )

    @field_validator("stop")
    @classmethod
    def _no_empty_stop(cls, value: list[str]) -> list[str]:
        if any(not stop for stop in value):
            raise ValueError(
                "an empty stop string would end every generation at once (vLLM refuses it); "
                'remove "" from the list'
            )
        return value

    @field_validator("seed")
    @classmethod
    def _seed_in_range(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= MAX_SEED:
            raise ValueError(
                f"seed {value} is out of range: use 0 to {MAX_SEED} (engines take 64-bit "
                "seeds; vLLM reads -1 as no seed)"
            )
        return value

    @model_validator(mode="after")
    def _seeds_of_n_in_range(self) -> GenerationSpec:
        if self.seed is not None and self.seed + self.n - 1 > MAX_SEED:
            raise ValueError(
                f"seed {self.seed} + n - 1 is above {MAX_SEED} (sample i of n uses seed + i); "
                f"use a seed of at most {MAX_SEED - (self.n - 1)}"
            )
        return self

    @model_validator(mode="after")
    def _sampling_for_n(self) -> GenerationSpec:
        if self.n > 1 and self.temperature == 0.0:
            raise ValueError(
                "n > 1 samples of a greedy (temperature 0) generation are identical; "
                "set temperature > 0"
            )
        return self


class FewShotSpec(Strict):
    """Examples prepended to every prompt, drawn (seeded) from another split of the dataset."""

    k: int = Field(ge=1, le=64, description="Number of examples.")
    split: str = Field(description="Split the examples come from (train, dev, validation...).")
    source: str | None = Field(
        None, description="Another source for the examples (default: the task's dataset source)."
    )
    answer: str = Field(
        "{target}",
        description="How an example's answer is written (template over the example's fields, "
        "e.g. {solution} for gsm8k's worked answers); loglikelihood tasks use the gold choice.",
    )
    separator: str = Field("\n\n", description="Between examples in a raw (non-chat) prompt.")
    sampler: Literal["first_n", "random"] | None = Field(
        None,
        description="first_n: the split's first k rows (lm-eval's MMLU); random: lm-eval's "
        "default sampler (a generator seeded with samples.seed draws k rows for each "
        "evaluated row in file order); default: the format's (mmlu first_n, others random). "
        "Examples come from rows with the sample's task description (mmlu: its subject).",
    )

    @field_validator("answer")
    @classmethod
    def _template_syntax(cls, value: str) -> str:
        check_template_syntax(value)
        return value


class TaskSpec(Strict):
    id: Id
    dataset: DatasetSpec
    output_type: Literal["generate", "loglikelihood"] = Field(
        "generate",
        description="generate: sample text and score it; loglikelihood: score each choice's "
        "log-likelihood after the prompt (multiple choice; needs scorer multiple_choice; the "
        "prompt is raw text by default, with prompt.chat: true the choice is scored after the "
        "chat template's opened assistant turn).",
    )
    prompt: PromptSpec = Field(default_factory=PromptSpec)
    fewshot: FewShotSpec | None = None
    choice_delimiter: str = Field(
        " ",
        description="loglikelihood with a raw prompt: text between the prompt and each choice.",
    )
    generation: GenerationSpec = Field(default_factory=GenerationSpec)
    scorer: ScorerSpec
    metrics: list[str] = Field(default_factory=list, description="Default: the scorer's metric.")
    limit: int | None = Field(
        None, gt=0, description="Cap on this task's samples (applied after the mode or --limit)."
    )

    @model_validator(mode="before")
    @classmethod
    def _raw_prompt_for_loglikelihood(cls, data: Any) -> Any:
        """loglikelihood continues raw text: `prompt.chat` defaults to false for it."""
        if isinstance(data, dict) and data.get("output_type") == "loglikelihood":
            prompt = data.get("prompt")
            if prompt is None:
                return {**data, "prompt": {"chat": False}}
            if isinstance(prompt, dict) and "chat" not in prompt:
                return {**data, "prompt": {**prompt, "chat": False}}
        return data

    @model_validator(mode="after")
    def _output_type_fits_scorer(self) -> TaskSpec:
        loglikelihood = self.output_type == "loglikelihood"
        if loglikelihood != (self.scorer.type == "multiple_choice"):
            raise ValueError(
                "output_type loglikelihood goes with scorer multiple_choice (and only it); "
                f"got output_type {self.output_type} with scorer {self.scorer.type}"
            )
        if loglikelihood and self.prompt.chat and "choice_delimiter" in self.model_fields_set:
            raise ValueError(
                "choice_delimiter applies to raw prompts: with prompt.chat: true each choice "
                "opens the assistant turn directly (as lm-eval's --apply_chat_template); "
                "remove choice_delimiter or set prompt.chat: false"
            )
        if loglikelihood and self.generation.n > 1:
            raise ValueError("generation.n applies to output_type generate only")
        return self

    @model_validator(mode="after")
    def _known_metrics(self) -> TaskSpec:
        allowed = SCORER_METRICS[self.scorer.type]
        for metric in self.metrics:
            pass_at = PASS_AT_K.match(metric)
            if pass_at and self.scorer.type in BINARY_SCORERS:
                if int(pass_at.group(1)) > self.generation.n:
                    raise ValueError(
                        f"metric '{metric}' needs generation.n >= {pass_at.group(1)} "
                        f"samples per prompt (n is {self.generation.n})"
                    )
                continue
            if metric not in allowed:
                extra = ", pass@k" if self.scorer.type in BINARY_SCORERS else ""
                raise ValueError(
                    f"metric '{metric}' is not reported by scorer '{self.scorer.type}'; "
                    f"use one of: {', '.join(allowed)}{extra}"
                )
        return self

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(self.metrics) or SCORER_METRICS[self.scorer.type][:1]


class SamplesSpec(Strict):
    mode: Literal["validate", "quick", "standard", "full", "adaptive"] = Field(
        "quick",
        description="validate=5, quick=20, standard=100, full=all samples per task; adaptive: "
        "samples in a seeded order, in batches, until every max_drop rule is decided or "
        "`max` is reached (`evalspec check --adaptive` turns it on for any spec).",
    )
    seed: int = 1234
    limit: int | None = Field(None, gt=0, description="Overrides the mode's sample count.")
    max: PositiveInt | Literal["full"] = Field(
        "full",
        description="adaptive: the budget, samples per task at most (full: all selected).",
    )
    first_look: int = Field(
        64, gt=0, description="adaptive: units (samples, or clusters) before the first decision."
    )
    every: PositiveInt | Literal["auto"] = Field(
        "auto",
        description="adaptive: units added per look (auto: a quarter of those seen, >= 16).",
    )
    target: Literal["population", "benchmark"] = Field(
        "population",
        description="adaptive: what max_drop is about: the model's expected change on the "
        "task (population) or the mean change over all of the task's samples (benchmark).",
    )
    sequential_share: float = Field(
        0.8,
        gt=0.0,
        le=1.0,
        description="adaptive: share of each rule's error budget (1 - confidence) spent on "
        "the sequential test; the rest goes to the fixed-n verdict at the budget.",
    )

    @model_validator(mode="after")
    def _adaptive_fields(self) -> SamplesSpec:
        stray = [name for name in ADAPTIVE_FIELDS if name in self.model_fields_set]
        if stray and self.mode != "adaptive":
            them = "it" if len(stray) == 1 else "them"
            raise ValueError(
                f"{', '.join(stray)}: only for mode adaptive (this spec's mode is "
                f"{self.mode}); set `mode: adaptive` or remove {them}"
            )
        return self


class GateSpec(Strict):
    thresholds: str | None = Field(None, description="Thresholds file, relative to the spec.")
    baseline: str | None = Field(None, description="Baseline JSON, relative to the spec.")


Replicas = Literal["auto"] | Annotated[int, Field(ge=1)]


class RunSpec(Strict):
    """How `check` runs the plan: in this process, or on a Ray cluster (`--executor` wins)."""

    executor: Literal["local", "ray"] = Field(
        "local",
        description="local: one engine in this process; ray: engine replicas as Ray actors.",
    )
    replicas: Replicas | dict[Id, Replicas] = Field(
        "auto",
        description="ray: engine replicas per model (auto: the free GPUs shared among the "
        "models running at once), or per model id.",
    )
    resource: str | None = Field(
        None,
        description="ray: the Ray resource a replica asks for (default GPU; CPU on vLLM's CPU "
        "build; or a custom resource name).",
    )
    per_replica: float | None = Field(
        None,
        gt=0,
        description="ray: units of `resource` per replica (default tensor_parallel_size x "
        "pipeline_parallel_size).",
    )
    cpus_per_replica: float = Field(1.0, ge=0, description="ray: CPUs each replica reserves.")
    shard_size: int | None = Field(
        None, ge=1, description="ray: requests per shard (default: about two per replica)."
    )
    shard_timeout_s: float = Field(
        1800.0, gt=0, description="ray: a shard running longer restarts its replica."
    )
    max_restarts: int = Field(2, ge=1, description="ray: restarts of a replica that died.")


class Spec(Strict):
    version: Literal[1]
    name: Id
    include: Annotated[list[str], BeforeValidator(_as_list)] = Field(
        default_factory=list,
        description="Model catalog files (relative to this spec) whose models this spec may use.",
    )
    models: list[ModelSpec | Id] = Field(
        default_factory=list,
        description="Model definitions, or ids of catalog models; empty: every catalog model.",
    )
    judges: list[ModelSpec | Id] = Field(
        default_factory=list,
        description="Models that only judge (scorer judge), definitions or catalog ids; "
        "they are not evaluated themselves.",
    )
    tasks: list[TaskSpec] = Field(min_length=1)
    samples: SamplesSpec = Field(default_factory=SamplesSpec)
    gate: GateSpec = Field(default_factory=GateSpec)
    run: RunSpec = Field(default_factory=RunSpec)

    @model_validator(mode="after")
    def _unique_ids(self) -> Spec:
        _no_duplicates([t.id for t in self.tasks], "task")
        _no_duplicates([m if isinstance(m, str) else m.id for m in self.models], "model")
        _no_duplicates([m if isinstance(m, str) else m.id for m in self.judges], "judge")
        return self

    def resolved_models(self) -> list[ModelSpec]:
        """Models after include resolution (the loader replaces ids by definitions)."""
        return [m for m in self.models if isinstance(m, ModelSpec)]

    def resolved_judges(self) -> list[ModelSpec]:
        """Judge-only models after include resolution."""
        return [m for m in self.judges if isinstance(m, ModelSpec)]


class ModelCatalog(Strict):
    """A shared file of model definitions, pulled in by a spec's `include:`."""

    version: Literal[1]
    models: list[ModelSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> ModelCatalog:
        _no_duplicates([m.id for m in self.models], "model")
        return self


def _no_duplicates(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {what} id '{item}'")
        seen.add(item)
