"""Multiple choice on the real vLLM engine: letter choices scored from one sequence per
question equal the per-choice path, raw and chat-templated (the session's shared engine).

The per-choice path (`EVALSPEC_MC_ONE_SEQUENCE=0`) is lm-eval's: every (context, choice)
its own sequence, scored from prompt log-probabilities. The one-sequence path reads the
choice tokens' next-token log-probabilities after the shared context (and, for a chat
context, the newline that opens the assistant's answer after it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from evalspec.engines import Engine, default_pool
from evalspec.engines.builtin import resolve_builtin
from evalspec.engines.loglikelihood import (
    ONE_SEQUENCE_ENV,
    context_text,
    encode_pair,
    plan_scoring,
    tokenize_with,
)
from evalspec.plan import Unit, compile_plan
from evalspec.scoring.multiple_choice import choice_score
from evalspec.spec import load_spec

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TOLERANCE = 1e-4


def _units(tmp_path: Path) -> tuple[Engine, list[Unit]]:
    mmlu: dict[str, Any] = {
        "dataset": {"format": "mmlu", "source": str(FIXTURES / "mmlu")},
        "output_type": "loglikelihood",
        "fewshot": {"k": 2, "split": "dev"},
        "scorer": {"type": "multiple_choice"},
    }
    spec = {
        "version": 1,
        "name": "mc-one-sequence",
        "models": [{"id": "smol", "source": "builtin:smollm2-135m-instruct"}],
        "tasks": [
            {"id": "mmlu-raw", **mmlu},
            {"id": "mmlu-chat", **mmlu, "prompt": {"chat": True}},
        ],
        "samples": {"mode": "full"},
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    (group,) = compile_plan(load_spec(path)).groups
    return default_pool().get(group.request), list(group.units)


def _flat(engine: Engine, unit: Unit) -> list[float]:
    return engine.loglikelihood([pair for pairs in unit.choice_pairs for pair in pairs])


def _scores(engine: Engine, unit: Unit) -> list[list[float]]:
    flat = _flat(engine, unit)
    return [flat[4 * i : 4 * i + 4] for i in range(len(unit.samples))]


def test_letter_choices_from_one_sequence_equal_the_per_choice_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, units = _units(tmp_path)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(resolve_builtin("smollm2-135m-instruct")[0]))
    for unit, per_question in zip(units, (1, 2), strict=True):  # sequences: raw 1, chat 2
        pairs = [pair for pairs in unit.choice_pairs for pair in pairs]
        encoded = [encode_pair(context_text(c, tok), t, tokenize_with(tok), 0) for c, t in pairs]
        scoring = plan_scoring(encoded)
        assert scoring.whole == [] and len(scoring.requests()) == per_question * 5
        flat_one = _flat(engine, unit)
        with monkeypatch.context() as patch:
            patch.setenv(ONE_SEQUENCE_ENV, "0")
            flat_per_choice = _flat(engine, unit)
        deltas = [abs(a - b) for a, b in zip(flat_one, flat_per_choice, strict=True)]
        one = [flat_one[4 * i : 4 * i + 4] for i in range(len(unit.samples))]
        per_choice = [flat_per_choice[4 * i : 4 * i + 4] for i in range(len(unit.samples))]
        assert len(deltas) == 4 * len(unit.samples) == 20
        print(f"\n{unit.unit_id}: max abs delta one-sequence vs per-choice {max(deltas):.2e}")
        assert max(deltas) <= TOLERANCE, (unit.unit_id, max(deltas))
        for sample, a, b in zip(unit.samples, one, per_choice, strict=True):
            conts = [cont for _, cont in unit.choice_pairs[0]]
            picked = choice_score(a, conts, sample.gold).extracted
            assert picked == choice_score(b, conts, sample.gold).extracted
        assert all(v < 0 for q in one for v in q)


def test_a_chat_choice_is_scored_after_the_opened_assistant_turn(tmp_path: Path) -> None:
    """The chat score of "B" is the newline after `<|im_start|>assistant` plus "B" after it:
    lower than "B" alone would be, and different from the raw prompt's " B"."""
    engine, units = _units(tmp_path)
    raw, chat = units
    raw_scores, chat_scores = _scores(engine, raw)[0], _scores(engine, chat)[0]
    assert raw_scores != chat_scores
    (context, _), *_ = chat.choice_pairs[0]
    assert isinstance(context, list) and context[-1]["role"] == "user"
    newline_and_b = engine.loglikelihood([(context, "B")])[0]
    assert newline_and_b == pytest.approx(chat_scores[1], abs=TOLERANCE)
