"""The regex scorer: pull the answer out of an output with a pattern, compare it to the target.

The pattern is matched case-sensitively as written (write `(?i)` to ignore case in the
match itself): `ignore_case` only governs the comparison, so a pattern like `\\b([A-D])\\b`
is not fooled by the article "a". Both sides are normalised before comparing: surrounding
space stripped, inner whitespace collapsed, a trailing period dropped, casefolded when
`ignore_case`.

Patterns run on the `regex` package (compatible with `re`) with a limit per output (CPU
seconds, as `regex` measures it, so a busy machine cannot cut a match short):
a pattern that backtracks catastrophically on some output (`^(a|aa)+$`) stops there, and
that sample is left out of the metric as an error (`Score.excluded`, with a detail),
never scored 0 in silence and never hanging the run.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import regex

from evalspec.scoring.results import Score

WHITESPACE = re.compile(r"\s+")
DEFAULT_TIMEOUT_S = 1.0


@lru_cache(maxsize=256)
def compile_pattern(pattern: str, group: int = 1) -> regex.Pattern[str]:
    """The compiled pattern; ValueError for a bad regex or a capture group it does not have."""
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from None
    if group < 0 or group > compiled.groups:
        have = f"{compiled.groups} capture group" + ("" if compiled.groups == 1 else "s")
        raise ValueError(
            f"regex {pattern!r} has {have}: group {group} does not exist (0 is the whole match)"
        )
    return compiled


def normalise_answer(text: str, *, ignore_case: bool) -> str:
    text = WHITESPACE.sub(" ", text).strip()
    if text.endswith("."):
        text = text[:-1].rstrip()
    return text.casefold() if ignore_case else text


def regex_extract(
    output: str,
    *,
    pattern: str,
    group: int = 1,
    which: Literal["first", "last"] = "last",
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> str | None:
    """The `group` of the first or last match in which that group took part, else None.

    TimeoutError when matching the whole output takes longer than `timeout_s`.
    """
    compiled = compile_pattern(pattern, group)
    found = [m.group(group) for m in compiled.finditer(output, timeout=timeout_s)]
    found = [text for text in found if text is not None]
    if not found:
        return None
    return found[0] if which == "first" else found[-1]


def regex_score(
    output: str,
    target: str,
    *,
    pattern: str,
    group: int = 1,
    ignore_case: bool = True,
    which: Literal["first", "last"] = "last",
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Score:
    """1.0 when the extracted text equals the target after normalising both; excluded (an
    error, left out of the metric) when matching takes longer than `timeout_s`."""
    try:
        got = regex_extract(output, pattern=pattern, group=group, which=which, timeout_s=timeout_s)
    except TimeoutError:
        return Score(
            0.0,
            detail=f"error: the pattern took over {timeout_s:g} s on this output "
            "(catastrophic backtracking?); left out. simplify the pattern or raise "
            "scorer.timeout_s",
            excluded=True,
        )
    if got is None:
        return Score(0.0, detail="pattern did not match")
    extracted = WHITESPACE.sub(" ", got).strip()
    want = normalise_answer(target, ignore_case=ignore_case)
    if normalise_answer(got, ignore_case=ignore_case) == want:
        return Score(1.0, extracted=extracted)
    return Score(0.0, extracted=extracted, detail=f"expected {target.strip()!r}")
