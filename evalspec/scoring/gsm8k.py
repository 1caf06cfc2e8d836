"""The gsm8k scorer: lm-evaluation-harness's gsm8k filters and exact match, exactly.

lm-eval 0.4's tasks/gsm8k/gsm8k.yaml scores each output twice:
- strict-match: the first match of `#### (\\-?[0-9\\.\\,]+)` (its group), else "[invalid]";
- flexible-extract: the last match of `(-?[$0-9.,]{2,})|(-?[0-9]+)` (its non-empty group),
  else "[invalid]";
then `exact_match` with `ignore_case` and `regexes_to_ignore` [",", "\\$", "(?s).*#### ",
"\\.$"] applied, in that order, to the extracted answer and to the reference (the whole
worked answer, which those regexes cut down to its final number). "72.0" is not "72" and
"1,000" is "1000": string equality, as the field reports it.
"""

from __future__ import annotations

import re

from evalspec.scoring.results import Score

GSM8K_METRICS = ("strict-match", "flexible-extract")
STRICT = re.compile(r"#### (\-?[0-9\.\,]+)")
FLEXIBLE = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")
INVALID = "[invalid]"
IGNORED = tuple(re.compile(p) for p in (",", r"\$", r"(?s).*#### ", r"\.$"))


def extract(output: str, pattern: re.Pattern[str], which: int) -> str:
    """lm-eval's `regex` filter: match `which` of findall (a tuple: its first non-empty
    group), stripped; "[invalid]" when nothing matches."""
    matches = pattern.findall(output)
    if not matches:
        return INVALID
    found = matches[which]
    if isinstance(found, tuple):
        groups = [g for g in found if g]
        found = groups[0] if groups else INVALID
    return str(found).strip()


def normalise(text: str) -> str:
    """lm-eval's exact_match preprocessing for gsm8k: the ignored regexes, then lower case."""
    for pattern in IGNORED:
        text = pattern.sub("", text)
    return text.lower()


def gsm8k_score(output: str, reference: str) -> Score:
    """strict-match (primary) and flexible-extract; extracted = "strict | flexible"."""
    want = normalise(reference)
    strict = extract(output, STRICT, 0)
    flexible = extract(output, FLEXIBLE, -1)
    values = {
        "strict-match": 1.0 if normalise(strict) == want else 0.0,
        "flexible-extract": 1.0 if normalise(flexible) == want else 0.0,
    }
    detail = None if values["strict-match"] else f"expected {want}"
    return Score(
        values["strict-match"],
        extracted=f"{strict} | {flexible}",
        detail=detail,
        values=values,
    )
