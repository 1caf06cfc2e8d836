"""LLM-as-judge building blocks: versioned rubrics, judge prompts, rating parsing."""

from __future__ import annotations

from evalspec.scoring.judge.fingerprint import judge_fingerprint
from evalspec.scoring.judge.prompt import judge_prompt
from evalspec.scoring.judge.rating import judge_score, parse_rating
from evalspec.scoring.judge.rubric import Rubric, Variant, builtin_rubrics, load_rubric

__all__ = [
    "Rubric",
    "Variant",
    "builtin_rubrics",
    "judge_fingerprint",
    "judge_prompt",
    "judge_score",
    "load_rubric",
    "parse_rating",
]
