"""Log-likelihood multiple choice, scored like lm-evaluation-harness's multiple_choice tasks.

acc:      the choice with the highest log-likelihood is a gold one.
acc_norm: the same after dividing each log-likelihood by the length of its choice text in
          characters, without the delimiter before it (lm-eval's `len(choice)` of the
          doc's choices), which removes the bias to short choices.
mc2:      TruthfulQA MC2: the normalised probability mass of the true choices,
          Σ_true p / Σ_all p with p = exp(log-likelihood).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from evalspec.scoring.results import Score

MC_METRICS = ("acc", "acc_norm", "mc2")


def choice_score(
    loglikelihoods: Sequence[float],
    continuations: Sequence[str],
    gold: Sequence[int],
    choices: Sequence[str] | None = None,
) -> Score:
    """acc (primary), acc_norm and mc2 for one question; extracted = the picked choice index.

    continuations: what was scored after each context (delimiter + choice); choices: the
    choice texts themselves (acc_norm's lengths). Without `choices` a continuation stands
    for its choice with its leading whitespace (the usual " " delimiter) removed.
    """
    if len(loglikelihoods) != len(continuations) or not loglikelihoods:
        raise ValueError(f"{len(loglikelihoods)} log-likelihoods for {len(continuations)} choices")
    texts = list(choices) if choices is not None else [c.lstrip() for c in continuations]
    if len(texts) != len(loglikelihoods):
        raise ValueError(f"{len(loglikelihoods)} log-likelihoods for {len(texts)} choice texts")
    best = _argmax(loglikelihoods)
    normed = [ll / max(1, len(c)) for ll, c in zip(loglikelihoods, texts, strict=True)]
    best_norm = _argmax(normed)
    top = max(loglikelihoods)
    weights = [math.exp(ll - top) for ll in loglikelihoods]
    mc2 = math.fsum(weights[i] for i in set(gold)) / math.fsum(weights)
    acc = 1.0 if best in gold else 0.0
    values = {"acc": acc, "acc_norm": 1.0 if best_norm in gold else 0.0, "mc2": mc2}
    detail = None if acc else f"picked choice {best}, gold {', '.join(map(str, gold))}"
    return Score(acc, extracted=str(best), detail=detail, values=values)


def _argmax(values: Sequence[float]) -> int:
    """Index of the largest value; the first on ties (deterministic)."""
    return max(range(len(values)), key=lambda i: (values[i], -i))
