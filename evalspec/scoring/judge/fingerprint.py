"""What identifies a judge in a unit's fingerprint: its rubric and its engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalspec.scoring.judge.rubric import Rubric


def judge_fingerprint(rubric: Rubric, judge_model_fingerprint: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies the judge: the rubric (name, version, digest) and the judge engine."""
    return {
        "rubric": {"name": rubric.name, "version": rubric.version, "digest": rubric.digest},
        "judge_model": dict(judge_model_fingerprint),
    }
