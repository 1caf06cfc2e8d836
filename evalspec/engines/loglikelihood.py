"""Log-likelihood requests as token sequences, for the engines that tokenize locally.

- `context_text`: a chat context is the model's chat template applied to its messages with
  the generation prompt (the continuation is scored after the opened assistant turn), as
  lm-evaluation-harness's `--apply_chat_template` renders it.
- `encode_pair`: lm-eval's `_encode_pair`: the context's trailing whitespace moves onto the
  continuation (a chat context's `\\n` after `assistant` is scored with every choice), the
  continuation is `whole[len(encode(context)):]`, and a text that opens with the BOS (or,
  without one, EOS) token's text gets no second one.
- `plan_scoring`: which pairs need a whole sequence with prompt log-probabilities (one per
  choice) and which are scored from next-token log-probabilities: where the choices of a
  context differ only in their last token (MMLU's " A" ... " D"), one sequence per distinct
  prefix gives every choice's log-likelihood, and unlike prompt log-probabilities it can
  read vLLM's prefix cache. `EVALSPEC_MC_ONE_SEQUENCE=0` turns it off (every pair its own
  sequence, as lm-eval scores them), for comparisons.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Tokenize = Callable[[str], list[int]]
Prefix = tuple[int, ...]
MAX_TARGETS = 128  # vLLM's limit on `logprob_token_ids` per request
ONE_SEQUENCE_ENV = "EVALSPEC_MC_ONE_SEQUENCE"


def context_text(context: str | Sequence[dict[str, str]], tokenizer: Any) -> str:
    """The context as text: a raw context as it is, chat messages through the tokenizer's
    chat template with the generation prompt."""
    if isinstance(context, str):
        return context
    text = tokenizer.apply_chat_template(list(context), tokenize=False, add_generation_prompt=True)
    return str(text)


def prefix_token(tokenizer: Any) -> int:
    """lm-eval's prefix token: BOS, else EOS (an empty context is scored after it)."""
    token = tokenizer.bos_token_id
    return int(token if token is not None else tokenizer.eos_token_id)


def adds_special_tokens(text: str, tokenizer: Any) -> bool:
    """Whether the text is tokenized with the tokenizer's special tokens: not when it already
    opens with the prefix token's text (chat templates write the BOS themselves)."""
    opening = str(tokenizer.decode([prefix_token(tokenizer)]))
    return not (opening and text.startswith(opening))


def tokenize_with(tokenizer: Any) -> Tokenize:
    """Token ids of a text (special tokens as `adds_special_tokens` says)."""

    def tokenize(text: str) -> list[int]:
        special = adds_special_tokens(text, tokenizer)
        return list(tokenizer(text, add_special_tokens=special)["input_ids"])

    return tokenize


@dataclass(frozen=True)
class Encoded:
    """A (context, continuation) pair as one token sequence: the continuation is
    `ids[start:]`; every one of its tokens is scored given the tokens before it."""

    ids: Prefix
    start: int


def split_whitespace(context: str, continuation: str) -> tuple[str, str]:
    """The context without its trailing whitespace, which opens the continuation instead."""
    stripped = context.rstrip()
    return stripped, context[len(stripped) :] + continuation


def encode_pair(context: str, continuation: str, tokenize: Tokenize, prefix: int) -> Encoded:
    """lm-eval's split of a pair into tokens (see the module docstring); an empty context
    scores the continuation after the prefix token."""
    context, continuation = split_whitespace(context, continuation)
    if not context:
        return Encoded((prefix, *tokenize(continuation)), 1)
    whole = tokenize(context + continuation)
    start = max(1, len(tokenize(context)))  # the first token has nothing to be scored from
    return Encoded(tuple(whole), start)


@dataclass
class Scoring:
    """How a batch of encoded pairs is scored.

    whole: pair indices scored from the prompt log-probabilities of their whole sequence;
    steps: the other pairs' (prefix, token) per continuation token, whose log-probabilities
    sum to the pair's; next_token: every prefix such a step needs, with the tokens wanted
    after it (one sequence each, `logprob_token_ids`)."""

    whole: list[int] = field(default_factory=list)
    steps: dict[int, list[tuple[Prefix, int]]] = field(default_factory=dict)
    next_token: dict[Prefix, list[int]] = field(default_factory=dict)

    def requests(self) -> list[tuple[Prefix, list[int]]]:
        """The next-token sequences: (prefix, up to MAX_TARGETS tokens) each."""
        return [
            (prefix, targets[i : i + MAX_TARGETS])
            for prefix, targets in self.next_token.items()
            for i in range(0, len(targets), MAX_TARGETS)
        ]


def one_sequence_enabled() -> bool:
    """False where $EVALSPEC_MC_ONE_SEQUENCE is 0: every pair gets its own sequence."""
    return os.environ.get(ONE_SEQUENCE_ENV, "1").strip() != "0"


def plan_scoring(pairs: Sequence[Encoded], one_sequence: bool = True) -> Scoring:
    """Pairs that share their context tokens are scored from next-token log-probabilities
    when that needs no more sequences than the pairs themselves (choices that differ only in
    their last token: one sequence, or two for a chat context's `\\n` + letter); the rest
    (all of them unless `one_sequence`) one sequence each, with prompt log-probabilities."""
    if not one_sequence:
        return Scoring(whole=list(range(len(pairs))))
    by_context: dict[Prefix, list[int]] = {}
    for i, pair in enumerate(pairs):
        by_context.setdefault(pair.ids[: pair.start], []).append(i)
    scoring = Scoring()
    for members in by_context.values():
        if any(not 0 < len(pairs[i].ids) - pairs[i].start <= len(members) for i in members):
            scoring.whole.extend(members)  # an empty or long continuation
            continue
        steps = {i: _steps(pairs[i]) for i in members}
        prefixes = {prefix for pair_steps in steps.values() for prefix, _ in pair_steps}
        if len(prefixes) > len(members):
            scoring.whole.extend(members)
            continue
        for i, pair_steps in steps.items():
            scoring.steps[i] = pair_steps
            for prefix, token in pair_steps:
                wanted = scoring.next_token.setdefault(prefix, [])
                if token not in wanted:
                    wanted.append(token)
    scoring.whole.sort()
    return scoring


def _steps(pair: Encoded) -> list[tuple[Prefix, int]]:
    return [(pair.ids[:p], pair.ids[p]) for p in range(pair.start, len(pair.ids))]
