"""The code_exec scorer (HumanEval pass@1): run each candidate against its tests in parallel."""

from __future__ import annotations

import os
import secrets
import signal
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from evalspec.data.types import Sample
from evalspec.scoring.program import build_program, code_task
from evalspec.scoring.results import Score
from evalspec.scoring.runner import ExecResult, Runner, SubprocessRunner

DETAIL_CHARS = 200


def _last_line(text: str) -> str | None:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else None


def verdict(result: ExecResult, nonce: str) -> Score:
    """PASS only if the program exited 0 and its last stdout line is the run's nonce."""
    if result.timed_out:
        return Score(0.0, detail="timeout")
    if result.returncode == 0:
        if _last_line(result.stdout_tail) == nonce:
            return Score(1.0)
        return Score(0.0, detail="exited before the checker ran")
    reason = _last_line(result.stderr_tail)
    if reason is None:
        code = result.returncode
        if code is not None and code < 0:
            reason = f"killed by {signal.Signals(-code).name}"
        else:
            reason = f"exit code {code}"
    return Score(0.0, detail=reason[:DETAIL_CHARS])


def run_candidate(
    sample: Sample, output: str, timeout_s: float, runner: Runner | None = None
) -> Score:
    """Score one output: build its test program with a fresh nonce and run it."""
    nonce = f"evalspec-done-{secrets.token_hex(16)}"
    program = build_program(sample, output, nonce)
    return verdict((runner or SubprocessRunner()).run(program, timeout_s), nonce)


def score_code(
    samples: Sequence[Sample],
    outputs: Sequence[str],
    timeout_s: float,
    *,
    runner: Runner | None = None,
    workers: int | None = None,
) -> list[Score]:
    """Scores in input order; programs run in parallel on os.cpu_count() workers."""
    for sample in samples:
        code_task(sample)  # fail fast (SpecError) before running anything
    if not samples:
        return []
    chosen = runner or SubprocessRunner()
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(samples)))
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="code-exec") as pool:
        futures = [
            pool.submit(run_candidate, s, o, timeout_s, chosen)
            for s, o in zip(samples, outputs, strict=True)
        ]
        return [f.result() for f in futures]
