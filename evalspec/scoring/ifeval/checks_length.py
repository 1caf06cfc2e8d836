"""length_constraints:*."""

from __future__ import annotations

import re
from collections.abc import Callable

from evalspec.scoring.ifeval.args import Check, Kwargs, compare
from evalspec.scoring.ifeval.text import count_sentences, count_words


def number_sentences(kw: Kwargs) -> Check:
    threshold, relation = kw.integer("num_sentences"), kw.relation("relation")
    return lambda response: compare(count_sentences(response), relation, threshold)


def number_words(kw: Kwargs) -> Check:
    threshold, relation = kw.integer("num_words"), kw.relation("relation")
    return lambda response: compare(count_words(response), relation, threshold)


def _count_divided_paragraphs(response: str) -> int | None:
    """Paragraphs between `***` dividers; None when one in the middle is empty."""
    paragraphs = re.split(r"\s?\*\*\*\s?", response)
    count = len(paragraphs)
    for index, paragraph in enumerate(paragraphs):
        if not paragraph.strip():
            if index not in (0, len(paragraphs) - 1):
                return None
            count -= 1
    return count


def number_paragraphs(kw: Kwargs) -> Check:
    wanted = kw.integer("num_paragraphs")
    return lambda response: _count_divided_paragraphs(response) == wanted


_FIRST_WORD_STOP = frozenset(".,?!'\"")


def nth_paragraph_first_word(kw: Kwargs) -> Check:
    wanted = kw.integer("num_paragraphs", minimum=1)
    nth = kw.integer("nth_paragraph", minimum=1)
    if nth > wanted:
        raise kw.error(f"nth_paragraph {nth} is beyond num_paragraphs {wanted}")
    first_word = kw.text("first_word").lower()

    def check(response: str) -> bool:
        paragraphs = re.split(r"\n\n", response)
        count = sum(1 for p in paragraphs if p.strip())
        # as the reference: the nth of all pieces, empty ones included, must be non-empty
        if nth > count or not (paragraph := paragraphs[nth - 1].strip()):
            return False
        word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
        found = ""
        for letter in word:
            if letter in _FIRST_WORD_STOP:
                break
            found += letter.lower()
        return count == wanted and found == first_word

    return check


BUILDERS: dict[str, Callable[[Kwargs], Check]] = {
    "length_constraints:number_sentences": number_sentences,
    "length_constraints:number_paragraphs": number_paragraphs,
    "length_constraints:number_words": number_words,
    "length_constraints:nth_paragraph_first_word": nth_paragraph_first_word,
}
