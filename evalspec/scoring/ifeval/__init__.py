"""IFEval (Zhou et al. 2023, arXiv:2311.07911): verifiable instruction checks, strict and loose.

A port of the instruction registry of google-research's `instruction_following_eval`
(Apache-2.0), with lm-evaluation-harness's `lm_eval/tasks/ifeval` as the reference
behaviour: all 25 instruction ids of the original release, with the kwargs of the
published `input_data.jsonl` (None values, the padding of the HF copy, are ignored).

Strict: the response as is. Loose: the instruction is followed by any of the response,
it without its first line, without its last line, without both (each stripped), and
each of those four with every "*" removed. An empty (whitespace) response or variant
follows nothing, as in the reference.

Deviations from the reference, all for determinism and offline use:
- Sentences (`length_constraints:number_sentences`) are counted by our own rule-based
  splitter (text.py), not nltk's punkt model, which would need a download. It handles
  titles ("Mr."), initials, common abbreviations ("e.g.", "etc."), decimals ("3.14"),
  numbered items and ellipses; it can differ from punkt after an abbreviation or an
  ellipsis, where punkt weighs what it learnt about the next word.
- Words for `change_case:capital_word_frequency` come from our approximation of
  `nltk.word_tokenize` (text.py); words for `length_constraints:number_words` are
  counted exactly as the reference does (`\\w+`).
- langdetect is seeded (`DetectorFactory.seed = 0`): the reference is not, so its
  verdict on short or ambiguous text can change from run to run. A
  LangDetectException still counts as followed.
- Missing or invalid kwargs (a relation other than "less than"/"at least", a letter that
  is not one ASCII letter, nth_paragraph beyond num_paragraphs, a negative count) and
  unknown kwargs raise SpecError; the reference silently picks random values instead.
  Only None values are dropped (lm-eval drops every falsy value, e.g. a 0 count).
- `combination:repeat_prompt` without `prompt_to_repeat` repeats the sample's prompt
  (the reference raises).
- Keywords, forbidden words, section splitters and postscript markers are used as
  regexes as in the reference, but one that is not a valid regex is matched literally
  (the reference raises re.error).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalspec.errors import SpecError
from evalspec.scoring.ifeval.registry import INSTRUCTIONS, build_check
from evalspec.scoring.results import Score

__all__ = ["IFEVAL_METRICS", "INSTRUCTIONS", "check_instructions", "ifeval_score"]

IFEVAL_METRICS = (
    "prompt_level_strict_acc",
    "inst_level_strict_acc",
    "prompt_level_loose_acc",
    "inst_level_loose_acc",
)


def loose_variants(response: str) -> list[str]:
    """The eight responses loose evaluation tries, in the reference's order."""
    lines = response.split("\n")
    without_first = "\n".join(lines[1:]).strip()
    without_last = "\n".join(lines[:-1]).strip()
    without_both = "\n".join(lines[1:-1]).strip()
    trimmed = [without_first, without_last, without_both]
    return [response, response.replace("*", ""), *trimmed, *(t.replace("*", "") for t in trimmed)]


def check_instructions(
    response: str,
    instruction_ids: Sequence[str],
    kwargs: Sequence[Mapping[str, Any]],
    prompt: str,
) -> tuple[list[bool], list[bool]]:
    """(strict, loose): whether the response follows each instruction.

    Raises SpecError for an unknown instruction id, bad kwargs, or lists of different
    lengths.
    """
    if len(instruction_ids) != len(kwargs):
        raise SpecError(
            f"IFEval sample has {len(instruction_ids)} instruction ids "
            f"but {len(kwargs)} kwargs entries"
        )
    checks = [build_check(i, k, prompt) for i, k in zip(instruction_ids, kwargs, strict=True)]
    variants = loose_variants(response)
    strict = [bool(response.strip()) and check(response) for check in checks]
    loose = [any(v.strip() and check(v) for v in variants) for check in checks]
    return strict, loose


def ifeval_score(
    response: str,
    instruction_ids: Sequence[str],
    kwargs: Sequence[Mapping[str, Any]],
    prompt: str,
) -> Score:
    """One sample's four IFEval metrics; value = prompt-level strict accuracy."""
    if not instruction_ids:
        raise SpecError("IFEval sample has no instructions (instruction_id_list is empty)")
    strict, loose = check_instructions(response, instruction_ids, kwargs, prompt)
    values = {
        "prompt_level_strict_acc": float(all(strict)),
        "inst_level_strict_acc": sum(strict) / len(strict),
        "prompt_level_loose_acc": float(all(loose)),
        "inst_level_loose_acc": sum(loose) / len(loose),
    }
    failed = [i for i, ok in zip(instruction_ids, strict, strict=True) if not ok]
    detail = f"not followed (strict): {', '.join(failed)}" if failed else None
    count = float(len(instruction_ids))
    weights = {"inst_level_strict_acc": count, "inst_level_loose_acc": count}
    return Score(
        values["prompt_level_strict_acc"],
        extracted=None,
        detail=detail,
        values=values,
        weights=weights,
    )
