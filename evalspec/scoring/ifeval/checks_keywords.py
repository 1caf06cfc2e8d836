"""keywords:* and language:response_language."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from evalspec.scoring.ifeval.args import Check, Kwargs, compare, user_pattern
from evalspec.scoring.ifeval.text import detect_language


def existence(kw: Kwargs) -> Check:
    patterns = [user_pattern(k, re.IGNORECASE) for k in kw.strings("keywords")]
    return lambda response: all(p.search(response) for p in patterns)


def frequency(kw: Kwargs) -> Check:
    pattern = user_pattern(kw.text("keyword").strip(), re.IGNORECASE)
    threshold, relation = kw.integer("frequency"), kw.relation("relation")
    return lambda response: compare(len(pattern.findall(response)), relation, threshold)


def forbidden_words(kw: Kwargs) -> Check:
    words = sorted(set(kw.strings("forbidden_words")))
    patterns = [user_pattern(w, re.IGNORECASE, r"\b", r"\b") for w in words]
    return lambda response: not any(p.search(response) for p in patterns)


def letter_frequency(kw: Kwargs) -> Check:
    letter = kw.text("letter")
    if len(letter) != 1:
        raise kw.error(f"kwarg 'letter' must be one character, got {letter!r}")
    # the published data has "#" and "!": counted as given (the reference swaps any
    # character other than a-z for a random letter)
    letter = letter.lower()
    threshold, relation = kw.integer("let_frequency"), kw.relation("let_relation")
    return lambda response: compare(Counter(response.lower())[letter], relation, threshold)


def response_language(kw: Kwargs) -> Check:
    language = kw.text("language")

    def check(response: str) -> bool:
        detected = detect_language(response)
        return detected is None or detected == language  # undetectable counts as followed

    return check


BUILDERS: dict[str, Callable[[Kwargs], Check]] = {
    "keywords:existence": existence,
    "keywords:frequency": frequency,
    "keywords:forbidden_words": forbidden_words,
    "keywords:letter_frequency": letter_frequency,
    "language:response_language": response_language,
}
