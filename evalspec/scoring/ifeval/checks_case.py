"""change_case:* and punctuation:no_comma."""

from __future__ import annotations

from collections.abc import Callable

from evalspec.scoring.ifeval.args import Check, Kwargs, compare
from evalspec.scoring.ifeval.text import detect_language, word_tokenize


def capital_word_frequency(kw: Kwargs) -> Check:
    threshold = kw.integer("capital_frequency")
    relation = kw.relation("capital_relation")

    def check(response: str) -> bool:
        capitals = sum(1 for word in word_tokenize(response) if word.isupper())
        return compare(capitals, relation, threshold)

    return check


def _is_english(response: str) -> bool:
    detected = detect_language(response)
    return detected is None or detected == "en"  # undetectable counts as followed


def english_capital(kw: Kwargs) -> Check:
    return lambda response: response.isupper() and _is_english(response)


def english_lowercase(kw: Kwargs) -> Check:
    return lambda response: response.islower() and _is_english(response)


def no_comma(kw: Kwargs) -> Check:
    return lambda response: "," not in response


BUILDERS: dict[str, Callable[[Kwargs], Check]] = {
    "change_case:capital_word_frequency": capital_word_frequency,
    "change_case:english_capital": english_capital,
    "change_case:english_lowercase": english_lowercase,
    "punctuation:no_comma": no_comma,
}
