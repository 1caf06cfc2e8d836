"""score_outputs: dispatch a task's scorer over a batch of (sample, output) pairs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalspec.data.types import Sample
from evalspec.errors import SpecError
from evalspec.scoring.choice import choice_score
from evalspec.scoring.code_exec import score_code
from evalspec.scoring.exact import exact_match_score, numeric_score
from evalspec.scoring.function_call import function_call_score
from evalspec.scoring.gsm8k import gsm8k_score
from evalspec.scoring.ifeval import ifeval_score
from evalspec.scoring.json_match import json_score
from evalspec.scoring.math_answer import math_score
from evalspec.scoring.program import code_task
from evalspec.scoring.regex_extract import regex_score
from evalspec.scoring.results import Score
from evalspec.scoring.sandbox import Limits
from evalspec.spec.json_schemas import check_schema, read_schema_file
from evalspec.spec.scorers import (
    ChoiceScorer,
    CodeExecScorer,
    ExactMatchScorer,
    FunctionCallScorer,
    IfevalScorer,
    JsonScorer,
    NumericScorer,
    RegexScorer,
    ScorerSpec,
)

OneScorer = Callable[[Sample, str], Score]


def score_outputs(
    scorer: ScorerSpec,
    samples: Sequence[Sample],
    outputs: Sequence[str],
    base_dir: Path | None = None,
) -> list[Score]:
    """One Score per (sample, output), in order, for every generate scorer but judge
    (which needs a model: the runner scores it) and multiple_choice (log-likelihoods).

    base_dir resolves files a scorer names (json's schema_file); default: the cwd.
    """
    if len(samples) != len(outputs):
        raise ValueError(f"{len(samples)} samples but {len(outputs)} outputs")
    kind = SCORE_TABLE.get(scorer.type)
    if kind is None:
        raise TypeError(f"scorer {scorer.type} is not scored by score_outputs")
    for sample in {s.id: s for s in samples}.values():  # (n attempts repeat a sample)
        check_inputs(scorer, sample)
    return kind.score(scorer, samples, outputs, base_dir or Path.cwd())


def check_inputs(scorer: ScorerSpec, sample: Sample) -> None:
    """SpecError when the sample lacks what the scorer reads (checked when the plan is
    compiled, so a wrong format/scorer pairing fails before anything is generated)."""
    kind = SCORE_TABLE.get(scorer.type)
    if kind is not None and kind.check is not None:
        kind.check(scorer, sample)


Batch = Callable[[Any, Sequence[Sample], Sequence[str], Path], list[Score]]


@dataclass(frozen=True)
class ScoreKind:
    """How one scorer scores a batch of outputs (from its spec block and the spec's
    directory) and what it needs from every sample (checked when the plan is compiled)."""

    score: Batch
    check: Callable[[Any, Sample], None] | None = None


def _each(make: Callable[[Any, Path], OneScorer]) -> Batch:
    """A batch scorer that scores each (sample, output) on its own."""

    def score(
        scorer: Any, samples: Sequence[Sample], outputs: Sequence[str], base_dir: Path
    ) -> list[Score]:
        one = make(scorer, base_dir)
        return [one(s, o) for s, o in zip(samples, outputs, strict=True)]

    return score


def _fixed(one: OneScorer) -> Batch:
    """A scorer without settings: the same function whatever its block says."""
    return _each(lambda _scorer, _base_dir: one)


def _exact_match(scorer: ExactMatchScorer, _: Path) -> OneScorer:
    return lambda s, o: exact_match_score(
        o, s.target, strip=scorer.strip, ignore_case=scorer.ignore_case
    )


def _numeric(scorer: NumericScorer, _: Path) -> OneScorer:
    return lambda s, o: numeric_score(o, s.target, tolerance=scorer.tolerance)


def _regex(scorer: RegexScorer, _: Path) -> OneScorer:
    return lambda s, o: regex_score(
        o,
        s.target,
        pattern=scorer.pattern,
        group=scorer.group,
        ignore_case=scorer.ignore_case,
        which=scorer.which,
        timeout_s=scorer.timeout_s,
    )


def _json_scorer(scorer: JsonScorer, base_dir: Path) -> OneScorer:
    schema = _schema_file(scorer.schema_file, base_dir) if scorer.schema_file else None
    return lambda s, o: _json(s, o, schema)


def _code_exec(
    scorer: CodeExecScorer, samples: Sequence[Sample], outputs: Sequence[str], _: Path
) -> list[Score]:
    """All candidates at once in the sandbox's worker pool."""
    limits = Limits(
        timeout_s=scorer.timeout_s,
        cpu_s=scorer.cpu_s,
        memory_mib=scorer.memory_mib,
        max_procs=scorer.max_procs,
        max_output_kib=scorer.max_output_kib,
        max_file_kib=scorer.max_file_kib,
    )
    return score_code(
        samples, outputs, limits=limits, isolation=scorer.isolation, workers=scorer.workers
    )


def _check_code(_: CodeExecScorer, sample: Sample) -> None:
    code_task(sample)


def _check_choice(_: ChoiceScorer, sample: Sample) -> None:
    if not sample.option_labels():
        raise _needs(sample, "choice", "options (a multiple-choice format)")


def _check_function_call(_: FunctionCallScorer, sample: Sample) -> None:
    if not (
        isinstance(sample.meta.get("functions"), list)
        and isinstance(sample.meta.get("ground_truth"), list)
    ):
        raise _needs(sample, "function_call", "'functions' and 'ground_truth' (format bfcl)")


def _check_ifeval(_: IfevalScorer, sample: Sample) -> None:
    if not (
        isinstance(sample.meta.get("instruction_id_list"), list)
        and isinstance(sample.meta.get("kwargs"), list)
    ):
        raise _needs(sample, "ifeval", "'instruction_id_list' and 'kwargs' (format ifeval)")


def _check_json(scorer: JsonScorer, sample: Sample) -> None:
    if scorer.schema_file is None:
        _check_sample_schema(sample)


def _check_sample_schema(sample: Sample) -> None:
    """A sample's own `schema` (read when the scorer names no schema_file) must be usable."""
    schema = sample.meta.get("schema")
    if schema is None:
        return
    try:
        check_schema(schema)
    except ValueError as exc:
        raise SpecError(
            f"scorer json: sample '{sample.id}' has an unusable 'schema' field: {exc}; fix "
            "that row of the dataset, or set scorer.schema_file"
        ) from None


def _choice(sample: Sample, output: str) -> Score:
    labels = sample.option_labels()
    gold = labels[sample.gold[0]] if sample.gold else sample.target
    return choice_score(output, labels, gold)


def _gsm8k(sample: Sample, output: str) -> Score:
    """Against the worked answer (gsm8k format) as lm-eval does, else the target."""
    solution = sample.meta.get("solution")
    return gsm8k_score(output, solution if isinstance(solution, str) else sample.target)


def _function_call(sample: Sample, output: str) -> Score:
    return function_call_score(output, sample.meta["functions"], sample.meta["ground_truth"])


def _ifeval(sample: Sample, output: str) -> Score:
    ids, kwargs = sample.meta["instruction_id_list"], sample.meta["kwargs"]
    return ifeval_score(output, ids, kwargs, sample.prompt)


def _json(sample: Sample, output: str, schema: Mapping[str, Any] | None) -> Score:
    target = sample.meta.get("target")
    own_schema = sample.meta.get("schema")
    if schema is None and isinstance(own_schema, dict):
        schema = own_schema
    return json_score(output, target=target if isinstance(target, dict) else None, schema=schema)


def _schema_file(relative: str, base_dir: Path) -> dict[str, Any]:
    """The schema file (checked when the spec was loaded; read again here)."""
    path = base_dir / relative
    try:
        return read_schema_file(path)
    except ValueError as exc:
        raise SpecError(f"scorer.schema_file {path}: {exc}") from None


def _needs(sample: Sample, scorer: str, what: str) -> SpecError:
    return SpecError(f"scorer {scorer} needs samples with {what}; sample '{sample.id}' has none")


# every scorer `score_outputs` runs, by spec type; judge and multiple_choice are scored by
# the runner (they need a model or log-likelihoods). A test keeps this equal to the spec's
# scorer table (evalspec.spec.scorers.SCORERS).
SCORE_TABLE: dict[str, ScoreKind] = {
    "exact_match": ScoreKind(_each(_exact_match)),
    "numeric": ScoreKind(_each(_numeric)),
    "gsm8k": ScoreKind(_fixed(_gsm8k)),
    "regex": ScoreKind(_each(_regex)),
    "choice": ScoreKind(_fixed(_choice), _check_choice),
    "math": ScoreKind(_fixed(lambda s, o: math_score(o, s.target))),
    "code_exec": ScoreKind(_code_exec, _check_code),
    "function_call": ScoreKind(_fixed(_function_call), _check_function_call),
    "ifeval": ScoreKind(_fixed(_ifeval), _check_ifeval),
    "json": ScoreKind(_each(_json_scorer), _check_json),
}
RUNNER_SCORED = frozenset({"judge", "multiple_choice"})
