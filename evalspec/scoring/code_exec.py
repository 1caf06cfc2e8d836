"""The code_exec scorer (HumanEval pass@1): each candidate runs against its tests in the sandbox."""

from __future__ import annotations

import os
from collections.abc import Sequence

from evalspec.data.types import Sample
from evalspec.scoring.program import code_job, code_task
from evalspec.scoring.results import Score
from evalspec.scoring.sandbox import Limits, Requested, Sandbox, resolve

DETAIL_CHARS = 200


def score_code(
    samples: Sequence[Sample],
    outputs: Sequence[str],
    timeout_s: float = 10.0,
    *,
    limits: Limits | None = None,
    isolation: Requested = "auto",
    workers: int | None = None,
) -> list[Score]:
    """Scores in input order, each tagged with the isolation used and what held (e.g.
    "bwrap+cgroup"); samples run in parallel on `workers` warm sandbox workers (default:
    os.cpu_count()).

    `limits` defaults to Limits(timeout_s=timeout_s). An `isolation: bwrap` that cannot
    work here is an InfraError; `auto` falls back to rlimits.
    """
    jobs = [code_job(s, o) for s, o in zip(samples, outputs, strict=True)]  # SpecError first
    if not jobs:
        return []
    level = resolve(isolation)
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    with Sandbox(level, limits or Limits(timeout_s=timeout_s), n_workers) as sandbox:
        outcomes = sandbox.run(jobs)
    return [
        Score(
            1.0 if o.passed else 0.0,
            detail=None if o.detail is None else o.detail[:DETAIL_CHARS],
            isolation=sandbox.label,
        )
        for o in outcomes
    ]


def run_candidate(
    sample: Sample, output: str, timeout_s: float, isolation: Requested = "auto"
) -> Score:
    """Score one output (a one-worker sandbox)."""
    code_task(sample)
    return score_code([sample], [output], timeout_s, isolation=isolation, workers=1)[0]
