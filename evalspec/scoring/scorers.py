"""score_outputs: dispatch a task's scorer over a batch of (sample, output) pairs."""

from __future__ import annotations

from collections.abc import Sequence

from evalspec.data.types import Sample
from evalspec.scoring.code_exec import score_code
from evalspec.scoring.exact import exact_match_score, numeric_score
from evalspec.scoring.results import Score
from evalspec.scoring.sandbox import Limits
from evalspec.spec.models import CodeExecScorer, ExactMatchScorer, NumericScorer, ScorerSpec


def score_outputs(
    scorer: ScorerSpec,
    samples: Sequence[Sample],
    outputs: Sequence[str],
    prompts_text: Sequence[str] | None = None,
) -> list[Score]:
    """One Score per sample, in order.

    prompts_text (the rendered prompts sent to the engine) is accepted for scorers that
    need it (judges); exact_match, numeric and code_exec do not: code_exec builds its
    program from the sample's own code prompt, not the templated text.
    """
    if len(samples) != len(outputs):
        raise ValueError(f"{len(samples)} samples but {len(outputs)} outputs")
    if prompts_text is not None and len(prompts_text) != len(samples):
        raise ValueError(f"{len(samples)} samples but {len(prompts_text)} prompts")
    if isinstance(scorer, ExactMatchScorer):
        return [
            exact_match_score(o, s.target, strip=scorer.strip, ignore_case=scorer.ignore_case)
            for s, o in zip(samples, outputs, strict=True)
        ]
    if isinstance(scorer, NumericScorer):
        return [
            numeric_score(o, s.target, tolerance=scorer.tolerance)
            for s, o in zip(samples, outputs, strict=True)
        ]
    if isinstance(scorer, CodeExecScorer):
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
    raise TypeError(f"unknown scorer {scorer!r}")  # pragma: no cover
