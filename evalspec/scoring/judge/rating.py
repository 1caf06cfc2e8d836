"""Read the rating out of a judge's reply and turn it into a Score.

The rubrics ask for "[[N]]" (MT-Bench's format): the last "[[N]]" of the reply is the rating.
Without one, "Rating: N", "score of N", "N/10" or "N out of 10" count only when every such
mention in the reply names the same number. A rating outside the scale is no rating.
"""

from __future__ import annotations

import re

from evalspec.scoring.numeric import number_text
from evalspec.scoring.results import Score

_NUMBER = r"(\d+(?:\.\d+)?)"
# the rubrics' own format example, which a judge may echo before rating
_FORMAT_EXAMPLE = re.compile(r"for\s+example:?\s*\"?\s*rating:\s*\[\[5\]\]\"?", re.IGNORECASE)
_BRACKETED = re.compile(r"\[\[\s*\**\s*" + _NUMBER + r"(?:\s*/\s*" + _NUMBER + r")?\s*\**\s*\]\]")
_KEYWORD = re.compile(
    r"\b(?:rating|score)\b[\s*_:=]*(?:(?:is|of|would\s+be|will\s+be)\b[\s*_:=]*)?\[?\s*"
    + _NUMBER
    + r"(?!\s*(?:-|–|to)\s*\d)"  # not a range: "a score of 1 to 10"
    + r"\s*\]?(?:\s*(?:/|out\s+of)\s*"
    + _NUMBER
    + r")?",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    r"(?<![\d.,/])" + _NUMBER + r"\s*(?:/|out\s+of)\s*" + _NUMBER + r"(?![\d/])", re.IGNORECASE
)
EXCERPT_CHARS = 80


def _value(number: str, denominator: str | None, top: float) -> float | None:
    """The rating a match names; None when it is out of another scale ("7/100")."""
    if denominator is not None and float(denominator) != top:
        return None
    return float(number)


def _rating(reply: str, high: float) -> float | None:
    """The number the reply rates with (in or out of scale), or None."""
    reply = _FORMAT_EXAMPLE.sub(" ", reply)
    bracketed = list(_BRACKETED.finditer(reply))
    if bracketed:
        last = bracketed[-1]
        return _value(last[1], last[2], high)
    found = {
        _value(m[1], m[2], high)
        for pattern in (_KEYWORD, _FRACTION)
        for m in pattern.finditer(reply)
        if m[2] is None or float(m[2]) == high  # "3/4 of the facts" is no rating
    }
    return found.pop() if len(found) == 1 else None


def parse_rating(reply: str, scale: tuple[float, float] = (1, 10)) -> float | None:
    """The rating in a judge's reply, or None when it has none, several or one out of scale."""
    rating = _rating(reply, scale[1])
    if rating is None or not scale[0] <= rating <= scale[1]:
        return None
    return rating


def judge_score(reply: str, scale: tuple[float, float], failure_value: float | None) -> Score:
    """The sample's Score: the rating; a reply without one is excluded or `failure_value`."""
    rating = parse_rating(reply, scale)
    if rating is not None:
        return Score(rating, extracted=number_text(rating))
    excerpt = reply[:EXCERPT_CHARS]
    detail = f"judge reply has no parsable rating: {excerpt!r}" + (
        "…" if len(reply) > EXCERPT_CHARS else ""
    )
    if failure_value is None:
        return Score(0.0, detail=detail, excluded=True)
    return Score(failure_value, detail=detail)
