"""The judge phase: after all generation, judge models rate the answers of judged units.

Judging runs after every model group has generated, grouped by judge, so a judge that
is also the last candidate model rates on the engine already loaded. Each rating is an
engine request of the judge model like any other: cached under its request key (the
judge's model and engine identity, the judge prompt and settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evalspec.engines import Completion
from evalspec.plan import Unit
from evalspec.runner.executor import GenerateItem, Item
from evalspec.runner.generate import Key, turns_of
from evalspec.runner.outcomes import Attempts
from evalspec.runner.requests import engine_identity, generate_key
from evalspec.scoring.judge import judge_fingerprint, judge_prompt, judge_score
from evalspec.scoring.results import Score
from evalspec.spec.models import GenerationSpec
from evalspec.spec.scorers import JudgeScorer


@dataclass
class Pending:
    """A generated unit waiting for its judge."""

    unit: Unit
    completions: dict[Key, Completion]
    cached: set[Key]
    fingerprint: dict[str, Any]
    replies: dict[Key, str] = field(default_factory=dict)


def judge_requests(pending: Pending) -> list[tuple[Key, Item]]:
    """(key, request) of the judge's rating of every answer of the unit."""
    unit = pending.unit
    assert unit.judge is not None
    assert isinstance(unit.task.scorer, JudgeScorer)
    engine = engine_identity(unit.judge.identity)
    params = judge_generation(unit.task.scorer)
    n = unit.attempts
    wanted: list[tuple[Key, Item]] = []
    for sample in unit.samples:
        questions = [sample.prompt, *sample.turns]
        references = _references(sample.meta.get("reference"), len(questions))
        rubric_text = sample.meta.get("rubric")
        for i in range(n):
            for turn in range(turns_of(sample)):
                key = (sample.id, turn * n + i)
                answers = [
                    pending.completions[(sample.id, t * n + i)].text for t in range(turn + 1)
                ]
                prompt = judge_prompt(
                    unit.judge.rubric,
                    question=questions[turn],
                    answer=answers[turn],
                    reference=references[turn],
                    sample_rubric=rubric_text if isinstance(rubric_text, str) else None,
                    history=list(zip(questions[:turn], answers[:turn], strict=True)),
                )
                item = GenerateItem(generate_key(engine, prompt, params, None, 0), prompt, None)
                wanted.append((key, item))
    return wanted


def judge_generation(scorer: JudgeScorer) -> GenerationSpec:
    return GenerationSpec(max_tokens=scorer.max_tokens, temperature=0.0)


def judged_attempts(pending: Pending, replies: Mapping[Key, Completion]) -> Attempts:
    """Per sample and attempt: the mean rating over its turns (turn_1, turn_2, ... in values);
    excluded when no turn's reply had a parsable rating."""
    unit = pending.unit
    scorer = unit.task.scorer
    assert isinstance(scorer, JudgeScorer)
    n = unit.attempts
    scale = (scorer.min_rating, scorer.max_rating)
    out: Attempts = []
    for sample in unit.samples:
        per_attempt = []
        for i in range(n):
            turns = [
                judge_score(replies[(sample.id, t * n + i)].text, scale, scorer.failure_value)
                for t in range(turns_of(sample))
            ]
            per_attempt.append(_combine(turns))
        out.append(per_attempt)
    return out


def attach_fingerprint(pending: Pending, engine_fingerprint: dict[str, Any]) -> None:
    unit = pending.unit
    assert unit.judge is not None
    pending.fingerprint["judge"] = judge_fingerprint(unit.judge.rubric, engine_fingerprint)


def _combine(turns: list[Score]) -> Score:
    rated = [t for t in turns if not t.excluded]
    values = {f"turn_{t + 1}": s.value for t, s in enumerate(turns) if not s.excluded}
    details = "; ".join(f"turn {t + 1}: {s.detail}" for t, s in enumerate(turns) if s.detail)
    if not rated:
        return Score(0.0, detail=details or None, excluded=True)
    mean = sum(s.value for s in rated) / len(rated)
    ratings = [s.extracted for s in turns if s.extracted]
    return Score(
        mean,
        extracted=", ".join(ratings) or None,
        detail=details or None,
        values={"judge_score": mean, **values},
    )


def _references(reference: Any, turns: int) -> list[str | None]:
    """A per-turn list of reference answers (mt_bench), one string (open_qa), or none."""
    if isinstance(reference, list):
        refs = [r if isinstance(r, str) else None for r in reference]
        return (refs + [None] * turns)[:turns]
    if isinstance(reference, str):
        return [reference] + [None] * (turns - 1)
    return [None] * turns
