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

from evalspec.scoring.ifeval.registry import INSTRUCTIONS
from evalspec.scoring.ifeval.scoring import (
    IFEVAL_METRICS,
    check_instructions,
    ifeval_score,
)

__all__ = ["IFEVAL_METRICS", "INSTRUCTIONS", "check_instructions", "ifeval_score"]
