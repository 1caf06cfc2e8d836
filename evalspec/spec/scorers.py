"""The scorer table: each scorer's spec block, the metrics it reports, whether they are pass/fail.

One class per scorer, named by its `type`, with `METRICS` (the first is the default) and
`BINARY` (per-sample values are pass/fail, so pass@k for k <= generation.n is reported
too). `ScorerSpec` is their discriminated union, and `SCORERS`, `SCORER_METRICS` and
`BINARY_SCORERS` are derived from it: a new scorer is one class here (added to the
union) and its scoring function in `evalspec.scoring.scorers`' table, with their tests.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal, get_args

import regex
from pydantic import Field, model_validator

from evalspec.spec.base import Id, Strict

PASS_AT_K = re.compile(r"^pass@([1-9][0-9]*)$")


class ScorerBlock(Strict):
    """What every scorer's spec block says about its scorer."""

    METRICS: ClassVar[tuple[str, ...]]  # the metrics it can report; the first is the default
    BINARY: ClassVar[bool] = False  # per-sample values are pass/fail (pass@k reported too)


class ExactMatchScorer(ScorerBlock):
    type: Literal["exact_match"]
    METRICS: ClassVar[tuple[str, ...]] = ("exact_match",)
    BINARY: ClassVar[bool] = True
    ignore_case: bool = True
    strip: bool = True


class NumericScorer(ScorerBlock):
    type: Literal["numeric"]
    METRICS: ClassVar[tuple[str, ...]] = ("accuracy",)
    BINARY: ClassVar[bool] = True
    tolerance: float = Field(1e-6, ge=0.0)


class Gsm8kScorer(ScorerBlock):
    """lm-eval's gsm8k filters and exact match: strict-match (the `#### N` line) and
    flexible-extract (the last number)."""

    type: Literal["gsm8k"]
    METRICS: ClassVar[tuple[str, ...]] = ("strict-match", "flexible-extract")
    BINARY: ClassVar[bool] = True


class CodeExecScorer(ScorerBlock):
    """Runs each candidate against the sample's tests in the code sandbox (per-sample limits)."""

    type: Literal["code_exec"]
    METRICS: ClassVar[tuple[str, ...]] = ("pass@1",)
    BINARY: ClassVar[bool] = True
    timeout_s: float = Field(10.0, gt=0.0, description="Wall-clock limit per sample, seconds.")
    cpu_s: float | None = Field(
        None,
        gt=0.0,
        description="CPU seconds per sandboxed process (default: timeout_s + 1, a backstop "
        "behind the wall-clock limit).",
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


class RegexScorer(ScorerBlock):
    """Extract the answer with a regular expression, then compare it to the target."""

    type: Literal["regex"]
    METRICS: ClassVar[tuple[str, ...]] = ("exact_match",)
    BINARY: ClassVar[bool] = True
    pattern: str = Field(
        description="Regular expression (Python `re` syntax, run by the `regex` package); "
        "`group` selects the answer."
    )
    group: int = Field(1, ge=0)
    ignore_case: bool = True
    which: Literal["first", "last"] = Field("last", description="Which match counts.")
    timeout_s: float = Field(
        1.0,
        gt=0.0,
        le=600.0,
        description="CPU seconds allowed to match one output; past it (catastrophic "
        "backtracking) the sample is an error, left out of the metric and counted in the report.",
    )

    @model_validator(mode="after")
    def _compiles(self) -> RegexScorer:
        try:
            compiled = regex.compile(self.pattern)
        except regex.error as exc:
            raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        if self.group > compiled.groups:
            raise ValueError(
                f"group {self.group} does not exist: the pattern has {compiled.groups} group(s)"
            )
        return self


class ChoiceScorer(ScorerBlock):
    """The option letter (or label) a generated answer commits to, against the gold label."""

    type: Literal["choice"]
    METRICS: ClassVar[tuple[str, ...]] = ("accuracy",)
    BINARY: ClassVar[bool] = True


class MathScorer(ScorerBlock):
    """MATH-style answers: last \\boxed{} (or "answer is"), LaTeX-normalised equivalence."""

    type: Literal["math"]
    METRICS: ClassVar[tuple[str, ...]] = ("accuracy",)
    BINARY: ClassVar[bool] = True


class FunctionCallScorer(ScorerBlock):
    """BFCL-style AST match of the generated function call(s) against the accepted values."""

    type: Literal["function_call"]
    METRICS: ClassVar[tuple[str, ...]] = ("accuracy",)
    BINARY: ClassVar[bool] = True


class JsonScorer(ScorerBlock):
    """JSON validity, JSON Schema validation and per-field match against the target object."""

    type: Literal["json"]
    METRICS: ClassVar[tuple[str, ...]] = (
        "field_match",
        "json_valid",
        "schema_valid",
        "exact_match",
    )
    schema_file: str | None = Field(
        None,
        description="JSON Schema file (relative to the spec) every output must satisfy; "
        "default: each sample's own `schema`.",
    )


class IfevalScorer(ScorerBlock):
    """The IFEval instruction checks (strict and loose) of each sample's instructions."""

    type: Literal["ifeval"]
    METRICS: ClassVar[tuple[str, ...]] = (
        "prompt_level_strict_acc",
        "inst_level_strict_acc",
        "prompt_level_loose_acc",
        "inst_level_loose_acc",
    )


class MultipleChoiceScorer(ScorerBlock):
    """Log-likelihood multiple choice (output_type loglikelihood): acc, acc_norm, mc2."""

    type: Literal["multiple_choice"]
    METRICS: ClassVar[tuple[str, ...]] = ("acc", "acc_norm", "mc2")


class JudgeScorer(ScorerBlock):
    """Another model of the spec rates each answer with a versioned rubric (LLM-as-judge)."""

    type: Literal["judge"]
    METRICS: ClassVar[tuple[str, ...]] = ("judge_score", "turn_1", "turn_2")
    model: Id = Field(description="The judge: an id from `judges:` or `models:`.")
    rubric: str = Field(
        "builtin:mt_bench-single-v1",
        description="builtin:NAME-vN (mt_bench-single-v1, open_qa-v1) or a rubric file "
        "relative to the spec.",
    )
    min_rating: float = 1.0
    max_rating: float = 10.0
    failure_value: float | None = Field(
        None,
        description="Value of a reply without a parsable rating (null: the sample is left out "
        "of the metric and counted in the report).",
    )
    max_tokens: int = Field(512, gt=0, description="The judge's generation budget.")

    @model_validator(mode="after")
    def _scale(self) -> JudgeScorer:
        if self.min_rating >= self.max_rating:
            raise ValueError("min_rating must be below max_rating")
        return self


ScorerSpec = Annotated[
    ExactMatchScorer
    | NumericScorer
    | Gsm8kScorer
    | RegexScorer
    | ChoiceScorer
    | MathScorer
    | CodeExecScorer
    | FunctionCallScorer
    | JsonScorer
    | IfevalScorer
    | MultipleChoiceScorer
    | JudgeScorer,
    Field(discriminator="type"),
]


SCORERS: dict[str, type[ScorerBlock]] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls
    for cls in get_args(get_args(ScorerSpec)[0])
}
# metrics each scorer can report; the first is the default
SCORER_METRICS: dict[str, tuple[str, ...]] = {name: cls.METRICS for name, cls in SCORERS.items()}
# scorers whose per-sample value is pass/fail: they also report pass@k for k <= generation.n
BINARY_SCORERS = frozenset(name for name, cls in SCORERS.items() if cls.BINARY)
