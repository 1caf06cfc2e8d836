"""Parity with lm-evaluation-harness: one generation and one multiple-choice task in CI.

Runs `benchmarks/peer_lmeval.py --tasks gsm8k,arc_challenge`: evalspec's CLI and lm-eval
0.4.13's CLI on the built-in model and the same fixtures (5-shot gsm8k with strict-match and
flexible-extract; ARC-Challenge with acc and acc_norm). Every prompt and output (generated
text, per-choice log-likelihoods) must be identical and every metric equal. lm-eval lives in
.venv-peer (`make peer`); without it the test is skipped and says so.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LM_EVAL = ROOT / ".venv-peer" / "bin" / "lm_eval"
OVERALL = re.compile(
    r"overall: prompts identical (\d+)/(\d+), outputs identical (\d+)/(\d+), "
    r"metric mismatches (\d+), time ratio [0-9.]+"
)


def test_gsm8k_and_arc_match_lm_eval_prompt_for_prompt(tmp_path: Path) -> None:
    if not LM_EVAL.exists():
        pytest.skip(f"{LM_EVAL.parent.parent.name} is absent: `make peer` builds lm-eval 0.4.13")
    bench = [sys.executable, "benchmarks/peer_lmeval.py", "--tasks", "gsm8k,arc_challenge"]
    done = subprocess.run(
        [*bench, "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, done.stdout[-4000:] + done.stderr[-4000:]
    found = OVERALL.fullmatch(lines[-1])
    assert found, lines[-1]
    prompts_same, prompts, outputs_same, outputs, mismatches = map(int, found.groups())
    assert prompts == outputs == 14  # 10 gsm8k test rows + 4 ARC-Challenge questions
    assert (prompts_same, outputs_same, mismatches) == (prompts, outputs, 0), done.stdout
    rows = {line.split(":", 1)[0]: line for line in lines if line.startswith(("gsm8k:", "arc"))}
    assert "strict-match" in rows["gsm8k"] and "flexible-extract" in rows["gsm8k"]
    assert "max |Δ log-likelihood| 0," in rows["arc_challenge"]
