"""Log-likelihood pairs as tokens (the built-in model's real tokenizer, no engine): lm-eval's
split of context and continuation, chat contexts, and which pairs one sequence scores."""

from __future__ import annotations

from functools import cache
from typing import Any

from evalspec.engines.builtin import resolve_builtin
from evalspec.engines.loglikelihood import (
    MAX_TARGETS,
    Encoded,
    adds_special_tokens,
    context_text,
    encode_pair,
    plan_scoring,
    prefix_token,
    tokenize_with,
)

QUESTION = "What is 2 + 2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:"
CHAT = [
    {"role": "system", "content": "The following are multiple choice questions."},
    {"role": "user", "content": QUESTION},
]


@cache
def _tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(resolve_builtin("smollm2-135m-instruct")[0]))


def _encode(context: str | list[dict[str, str]], continuation: str) -> Encoded:
    tok = _tokenizer()
    return encode_pair(context_text(context, tok), continuation, tokenize_with(tok), 0)


def _pieces(encoded: Encoded) -> list[str]:
    return [_tokenizer().decode([t]) for t in encoded.ids[encoded.start :]]


def test_a_letter_after_a_raw_prompt_is_one_token() -> None:
    encoded = _encode(QUESTION, " B")
    assert _pieces(encoded) == [" B"]
    assert encoded.ids[: encoded.start] == tuple(_tokenizer()(QUESTION)["input_ids"])


def test_trailing_whitespace_of_the_context_is_scored_with_the_continuation() -> None:
    """lm-eval's _encode_pair: "Answer: " + "B" scores " B", not "B" after a space."""
    assert _encode(QUESTION + " ", "B") == _encode(QUESTION, " B")


def test_a_chat_context_ends_with_the_opened_assistant_turn_whose_newline_is_scored() -> None:
    text = context_text(CHAT, _tokenizer())
    assert text.startswith("<|im_start|>system\n")
    assert text.endswith(f"{QUESTION}<|im_end|>\n<|im_start|>assistant\n")
    assert _pieces(_encode(CHAT, "B")) == ["\n", "B"]


def test_a_chat_text_that_opens_with_the_bos_gets_no_second_one() -> None:
    tok = _tokenizer()
    text = context_text(CHAT, tok)
    assert text.startswith(tok.decode([prefix_token(tok)]))  # SmolLM2's BOS is <|im_start|>
    assert not adds_special_tokens(text, tok)
    assert adds_special_tokens(QUESTION, tok)
    assert tokenize_with(tok)(text) == tok(text, add_special_tokens=False)["input_ids"]


def test_an_empty_context_scores_the_continuation_after_the_prefix_token() -> None:
    tok = _tokenizer()
    encoded = encode_pair("", "Paris", tokenize_with(tok), prefix_token(tok))
    assert encoded.start == 1 and encoded.ids[0] == prefix_token(tok)
    assert tok.decode(list(encoded.ids[1:])) == "Paris"


def test_letter_choices_of_one_context_are_one_sequence() -> None:
    pairs = [_encode(QUESTION, f" {letter}") for letter in "ABCD"]
    scoring = plan_scoring(pairs)
    assert scoring.whole == []
    ((prefix, targets),) = scoring.requests()
    assert prefix == pairs[0].ids[: pairs[0].start]
    assert targets == [p.ids[-1] for p in pairs]
    assert scoring.steps == {i: [(prefix, p.ids[-1])] for i, p in enumerate(pairs)}


def test_chat_letter_choices_are_two_sequences_for_four_choices() -> None:
    pairs = [_encode(CHAT, letter) for letter in "ABCD"]
    scoring = plan_scoring(pairs)
    assert scoring.whole == []
    (before, newline), (after, letters) = scoring.requests()
    assert [_tokenizer().decode(list(newline))] == ["\n"]
    assert after == (*before, *newline)
    assert letters == [p.ids[-1] for p in pairs]
    assert all(len(steps) == 2 for steps in scoring.steps.values())


def test_long_or_unshared_continuations_get_a_sequence_each() -> None:
    long = [_encode(QUESTION, " the sum of two and two"), _encode(QUESTION, " four")]
    own_contexts = [_encode("The cat sat", " on the mat"), _encode("The dog sat", " on the mat")]
    assert plan_scoring(long).whole == [0, 1]
    assert plan_scoring(own_contexts).whole == [0, 1]
    mixed = plan_scoring([*long, _encode("Q:", " A"), _encode("Q:", " B")])
    assert mixed.whole == [0, 1] and sorted(mixed.steps) == [2, 3]


def test_a_lone_one_token_continuation_is_a_next_token_sequence_too() -> None:
    """No more sequences than the per-choice path, and cheaper: no prompt log-probabilities
    over the whole context, and it may read vLLM's prefix cache."""
    scoring = plan_scoring([_encode("The cat sat", " down"), _encode("The dog sat", " down")])
    assert scoring.whole == [] and len(scoring.requests()) == 2


def test_an_empty_continuation_is_left_to_the_whole_sequence_path() -> None:
    empty = Encoded((5, 6, 7), 3)
    assert plan_scoring([empty, Encoded((5, 6, 7, 8), 3)]).whole == [0, 1]


def test_more_choice_tokens_than_vllm_takes_are_split_over_requests() -> None:
    pairs = [Encoded((1, 2, 1000 + i), 2) for i in range(MAX_TARGETS + 5)]
    requests = plan_scoring(pairs).requests()
    assert [len(targets) for _, targets in requests] == [MAX_TARGETS, 5]
    assert {prefix for prefix, _ in requests} == {(1, 2)}
