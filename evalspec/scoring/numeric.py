"""Numeric answer extraction (GSM8K style): the final number a model's output commits to.

Order of preference: a `#### N` marker, "answer is N" / "answer: N", `\\boxed{N}`, else the
last number in the text. Numbers may carry thousands separators (`1,234`), a currency sign
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


def _first_after(text: str, marker: re.Pattern[str]) -> float | None:
    """The first number after the last occurrence of marker (on the same line)."""
    matches = list(marker.finditer(text))
    if not matches:
        return None
    rest = text[matches[-1].end() :].lstrip().split("\n", 1)[0]
    numbers = _numbers(rest.replace("*", ""))  # "answer is **42**"
    return numbers[0] if numbers else None


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
        _first_after(text, HASH_MARKER),
        _first_after(text, ANSWER_MARKER),
        _boxed(text),
    ):
        if found is not None:
            return Extracted(found, number_text(found))
    numbers = _numbers(text)
    if not numbers:
        return None
    return Extracted(numbers[-1], number_text(numbers[-1]))
