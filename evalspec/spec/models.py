"""Pydantic models of spec v1, the model catalog and thresholds v1: the schema's source of truth."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]

SAMPLE_MODES: dict[str, int | None] = {"validate": 5, "quick": 20, "standard": 100, "full": None}

# metrics each scorer can report; the first is the default
SCORER_METRICS: dict[str, tuple[str, ...]] = {
    "exact_match": ("exact_match",),
    "numeric": ("accuracy",),
    "code_exec": ("pass@1",),
}


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Strict(BaseModel):
    # strict: YAML already gives native types; `max_tokens: true` or `temperature: "0.5"` is a typo
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


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


class DatasetSpec(Strict):
    format: Literal["jsonl", "gsm8k", "humaneval"]
    source: str = Field(
        description="File path (relative to the spec file) or builtin:NAME (builtin:humaneval)."
    )


class PromptSpec(Strict):
    """How a sample becomes a prompt. `{prompt}` is the sample's prompt text."""

    template: str = "{prompt}"
    system: str | None = None
    chat: bool = Field(True, description="Apply the model's chat template (false: raw completion).")


class GenerationSpec(Strict):
    max_tokens: int = Field(256, gt=0)
    temperature: float = Field(0.0, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    stop: list[str] = Field(default_factory=list)
    seed: int | None = None


class ExactMatchScorer(Strict):
    type: Literal["exact_match"]
    ignore_case: bool = True
    strip: bool = True


class NumericScorer(Strict):
    type: Literal["numeric"]
    tolerance: float = Field(1e-6, ge=0.0)


class CodeExecScorer(Strict):
    """Runs each candidate against the sample's tests in the code sandbox (per-sample limits)."""

    type: Literal["code_exec"]
    timeout_s: float = Field(10.0, gt=0.0, description="Wall-clock limit per sample, seconds.")
    cpu_s: float | None = Field(
        None, gt=0.0, description="CPU seconds per sandboxed process (default: timeout_s)."
    )
    memory_mib: int = Field(2048, ge=64, description="Address-space cap per process, MiB.")
    max_procs: int = Field(
        16, ge=1, description="Processes/threads a candidate may start (fork bombs stop here)."
    )
    max_output_kib: int = Field(
        1024, ge=1, description="stdout + stderr cap, KiB; past it the candidate is killed."
    )
    max_file_kib: int = Field(16384, ge=1, description="Largest file a candidate may write, KiB.")
    isolation: Literal["auto", "bwrap", "rlimits"] = Field(
        "auto",
        description="bwrap: bubblewrap namespaces (no network, read-only system, private /tmp); "
        "rlimits: limits + process-group kill only; auto: bwrap where it works, else rlimits.",
    )
    workers: int | None = Field(
        None, ge=1, description="Parallel sandbox workers (default: the number of CPU cores)."
    )


ScorerSpec = Annotated[
    ExactMatchScorer | NumericScorer | CodeExecScorer, Field(discriminator="type")
]


class TaskSpec(Strict):
    id: Id
    dataset: DatasetSpec
    prompt: PromptSpec = Field(default_factory=PromptSpec)
    generation: GenerationSpec = Field(default_factory=GenerationSpec)
    scorer: ScorerSpec
    metrics: list[str] = Field(default_factory=list, description="Default: the scorer's metric.")
    limit: int | None = Field(
        None, gt=0, description="Cap on this task's samples (applied after the mode or --limit)."
    )

    @model_validator(mode="after")
    def _known_metrics(self) -> TaskSpec:
        allowed = SCORER_METRICS[self.scorer.type]
        for metric in self.metrics:
            if metric not in allowed:
                raise ValueError(
                    f"metric '{metric}' is not reported by scorer '{self.scorer.type}'; "
                    f"use one of: {', '.join(allowed)}"
                )
        return self

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(self.metrics) or SCORER_METRICS[self.scorer.type][:1]


class SamplesSpec(Strict):
    mode: Literal["validate", "quick", "standard", "full"] = "quick"
    seed: int = 1234
    limit: int | None = Field(None, gt=0, description="Overrides the mode's sample count.")


class GateSpec(Strict):
    thresholds: str | None = Field(None, description="Thresholds file, relative to the spec.")
    baseline: str | None = Field(None, description="Baseline JSON, relative to the spec.")


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
    tasks: list[TaskSpec] = Field(min_length=1)
    samples: SamplesSpec = Field(default_factory=SamplesSpec)
    gate: GateSpec = Field(default_factory=GateSpec)

    @model_validator(mode="after")
    def _unique_ids(self) -> Spec:
        _no_duplicates([t.id for t in self.tasks], "task")
        _no_duplicates([m if isinstance(m, str) else m.id for m in self.models], "model")
        return self

    def resolved_models(self) -> list[ModelSpec]:
        """Models after include resolution (the loader replaces ids by definitions)."""
        return [m for m in self.models if isinstance(m, ModelSpec)]


class ModelCatalog(Strict):
    """A shared file of model definitions, pulled in by a spec's `include:`."""

    version: Literal[1]
    models: list[ModelSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> ModelCatalog:
        _no_duplicates([m.id for m in self.models], "model")
        return self


Confidence = Annotated[float, Field(gt=0.5, lt=1.0)]


class DropLimit(Strict):
    """A higher-is-better measurement may fall at most this many percent below the baseline."""

    max_drop_pct: float = Field(gt=0.0, description="Largest allowed drop, percent of baseline.")


class RiseLimit(Strict):
    """A lower-is-better measurement may rise at most this many percent above the baseline."""

    max_rise_pct: float = Field(gt=0.0, description="Largest allowed rise, percent of baseline.")


class PerfLimits(Strict):
    """Relative tolerances on a unit's performance against the baseline's (per unit, not metric)."""

    tokens_per_s: DropLimit | None = Field(None, description="Generation throughput.")
    latency_p95_s: RiseLimit | None = Field(None, description="95th percentile request latency.")
    peak_gpu_memory_mib: RiseLimit | None = Field(
        None, description="Peak GPU memory; WARN when either side did not measure it."
    )


class ThresholdRule(Strict):
    """Gate rule for the metrics it selects (fnmatch patterns on model, adapter, task, metric)."""

    model: str = "*"
    adapter: str = "*"
    task: str = "*"
    metric: str = "*"
    min: float | None = Field(
        None,
        description="Absolute floor: FAIL when the metric is below min (max for lower-is-better).",
    )
    max_drop: float | None = Field(
        None,
        ge=0.0,
        description="Non-inferiority margin against the baseline (absolute): PASS when the "
        "confidence interval of current - baseline lies above -max_drop, FAIL when it lies "
        "below, WARN (more samples needed) when it straddles it. Mirrored for lower-is-better.",
    )
    confidence: Confidence | None = Field(
        None, description="Confidence level of this rule's interval (default: the file's)."
    )
    perf: PerfLimits | None = Field(
        None, description="Performance tolerances for the units this rule selects."
    )

    @model_validator(mode="after")
    def _has_a_bound(self) -> ThresholdRule:
        if self.min is None and self.max_drop is None and self.perf is None:
            raise ValueError("a rule needs `min`, `max_drop`, `perf` or a combination")
        if self.perf is not None and self.metric != "*":
            raise ValueError("`perf` limits apply to whole units; leave `metric` at '*'")
        return self


class Thresholds(Strict):
    version: Literal[1]
    confidence: Confidence = Field(
        0.95, description="Confidence level of the paired intervals (two-sided)."
    )
    allow_fingerprint_change: list[str] = Field(
        default_factory=list,
        description="Fingerprint keys (engine_version, device, dtype, ...) that may differ "
        "from the baseline's without turning comparisons into WARN.",
    )
    rules: list[ThresholdRule] = Field(default_factory=list)


def _no_duplicates(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {what} id '{item}'")
        seen.add(item)
