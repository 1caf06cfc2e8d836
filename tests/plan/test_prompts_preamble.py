"""A sample's preamble (lm-eval's task description) opens the prompt, before any examples."""

from __future__ import annotations

from evalspec.data.types import Sample
from evalspec.plan.prompts import Shots, delimit, fill, raw_with_examples, render
from evalspec.spec.models import PromptSpec

DESCRIPTION = "About geography.\n\n"
SAMPLE = Sample(id="s", prompt="Which ocean?", target="D", preamble=DESCRIPTION)
RAW = PromptSpec(template="Q: {prompt}", chat=False)


def test_fill_opens_with_the_preamble_unless_told_not_to() -> None:
    assert fill(RAW.template, SAMPLE) == "About geography.\n\nQ: Which ocean?"
    assert fill(RAW.template, SAMPLE, preamble=False) == "Q: Which ocean?"


def test_raw_prompt_puts_the_preamble_before_the_examples() -> None:
    shots = Shots([("Q: a", "A"), ("Q: b", "B")], preamble=DESCRIPTION)
    assert render(RAW, SAMPLE, shots) == "About geography.\n\nQ: a A\n\nQ: b B\n\nQ: Which ocean?"
    assert render(RAW, SAMPLE) == "About geography.\n\nQ: Which ocean?"  # zero-shot


def test_examples_without_a_preamble_leave_the_text_alone() -> None:
    text = "intro\n\nQ: x"
    assert raw_with_examples(text, [("Q: a", "A")], " ", "\n\n") == "Q: a A\n\nintro\n\nQ: x"
    assert raw_with_examples(text, Shots([("Q: a", "A")], "other"), " ", "\n\n") == (
        "Q: a A\n\nintro\n\nQ: x"
    )


def test_chat_prompt_makes_the_preamble_the_system_message() -> None:
    chat = PromptSpec(template="{prompt}")
    shots = Shots([("a?", "A")], preamble=DESCRIPTION)
    assert render(chat, SAMPLE, shots) == [
        {"role": "system", "content": DESCRIPTION},
        {"role": "user", "content": "a?"},
        {"role": "assistant", "content": "A"},
        {"role": "user", "content": "Which ocean?"},
    ]


def test_delimit_is_lm_evals_maybe_delimit() -> None:
    assert delimit("sys", "desc", "\n\n") == "sys\n\ndesc"
    assert delimit("sys\n", "desc", "\n\n") == "sys\ndesc"  # whitespace at the join already
    assert delimit("", "desc", "\n\n") == "desc"
    assert delimit("sys", "", "\n\n") == "sys"
