"""Numeric answer extraction (GSM8K style): the final number a model's output commits to.

Order of preference: a `#### N` marker, "answer is N" / "answer: N", `\\boxed{N}`, else the
last number in the text. After a marker the answer is the sentence that follows it: the result
of an equation there ("The answer is 10 + 10 = 20." -> 20), else its first number ("The answer
is 18 apples, leaving 3" -> 18). Numbers may carry thousands separators (`1,234`), a currency sign
(`$1,234.50`), units (`12 cm`), a sign (`-3`), a trailing period, or be a simple fraction
(`3/4` -> 0.75; `\\frac{3}{4}` inside `\\boxed{}` as well).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A number: optional sign (not right after a word or closing bracket, nor after a digit or
# bracket and one space, so "3-5" and "5 - 3" yield 5 and 3 rather than negatives),
# optional currency sign, integer part with or without thousands separators, optional
# decimals, optional "/denominator".
NUMBER = re.compile(
    r"(?P<sign>(?<![\w.)\]])(?<![\d)\]] )[-−])?\s?"
    r"[$€£]?\s?"
    r"(?<![\d.])(?P<int>\d{1,3}(?:,\d{3})+(?!\d|,\d)|\d+)"
    r"(?P<dec>\.\d+)?"
    r"(?:/(?P<den>\d+(?:\.\d+)?)(?![\d/]))?"
)
HASH_MARKER = re.compile(r"####")
ANSWER_MARKER = re.compile(r"\banswer\b\s*(?:is|was|=|:)\s*[:=]?", re.IGNORECASE)
BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
SENTENCE_END = re.compile(r"\.(?:\s|$)")  # a full stop, not a decimal point
FRAC = re.compile(r"\\d?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")


@dataclass(frozen=True)
class Extracted:
    value: float
    text: str  # canonical text of the value ("42", "0.75", "-3.5")


def number_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _to_value(match: re.Match[str]) -> float | None:
    value = float(match.group("int").replace(",", "") + (match.group("dec") or ""))
    denominator = match.group("den")
    if denominator is not None:
        den = float(denominator)
        if den == 0:
            return None
        value /= den
    return -value if match.group("sign") else value


def _numbers(text: str) -> list[float]:
    values = (_to_value(m) for m in NUMBER.finditer(text))
    return [v for v in values if v is not None]


def _after(text: str, marker: re.Pattern[str]) -> float | None:
    """The answer stated after the last occurrence of marker, in the sentence that follows
    it: the single number right of its last "=" (the equation's result), else its first."""
    matches = list(marker.finditer(text))
    if not matches:
        return None
    rest = text[matches[-1].end() :].lstrip().split("\n", 1)[0]
    sentence = SENTENCE_END.split(rest.replace("*", ""), 1)[0]  # "answer is **42**", "9 * 9"
    numbers = _numbers(sentence)
    if not numbers:
        return None
    if "=" in sentence:
        result = _numbers(sentence.rsplit("=", 1)[1])
        if len(result) == 1:
            return result[0]
    return numbers[0]


def _boxed(text: str) -> float | None:
    boxes = BOXED.findall(text)
    if not boxes:
        return None
    inner = FRAC.sub(r"\1/\2", boxes[-1])
    numbers = _numbers(inner)
    return numbers[0] if numbers else None


def extract_number(text: str) -> Extracted | None:
    """The number an output commits to, or None when it contains no number."""
    for found in (
        _after(text, HASH_MARKER),
        _after(text, ANSWER_MARKER),
        _boxed(text),
    ):
        if found is not None:
            return Extracted(found, number_text(found))
    numbers = _numbers(text)
    if not numbers:
        return None
    return Extracted(numbers[-1], number_text(numbers[-1]))
