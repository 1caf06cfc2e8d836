"""LLM-as-judge building blocks: versioned rubrics, judge prompts, rating parsing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalspec.scoring.judge.prompt import judge_prompt
from evalspec.scoring.judge.rating import judge_score, parse_rating
from evalspec.scoring.judge.rubric import Rubric, Variant, builtin_rubrics, load_rubric


def judge_fingerprint(rubric: Rubric, judge_model_fingerprint: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies the judge: the rubric (name, version, digest) and the judge engine."""
    return {
        "rubric": {"name": rubric.name, "version": rubric.version, "digest": rubric.digest},
        "judge_model": dict(judge_model_fingerprint),
    }


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
