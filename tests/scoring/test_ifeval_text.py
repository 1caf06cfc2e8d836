"""IFEval's own text utilities: sentence splitting, word counting and tokenising, langdetect."""

from __future__ import annotations

import pytest
from langdetect import DetectorFactory  # type: ignore[import-untyped]

from evalspec.scoring.ifeval import check_instructions
from evalspec.scoring.ifeval.text import (
    count_sentences,
    count_words,
    detect_language,
    split_sentences,
    word_tokenize,
)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("", []),
        ("   ", []),
        ("No final stop", ["No final stop"]),
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("Pi is 3.14 or so. It is irrational.", ["Pi is 3.14 or so.", "It is irrational."]),
        ("Fruit, e.g. apples, i.e. food. Done.", ["Fruit, e.g. apples, i.e. food.", "Done."]),
        ("Apples, pears, etc. The list ends.", ["Apples, pears, etc.", "The list ends."]),
        ("J. R. R. Tolkien wrote it. Yes.", ["J. R. R. Tolkien wrote it.", "Yes."]),
        ("We need Plan B. Then we go.", ["We need Plan B.", "Then we go."]),
        ("It is in o. Let's go.", ["It is in o.", "Let's go."]),
        ("We left at 5 p.m. and ate. Good.", ["We left at 5 p.m. and ate.", "Good."]),
        ("Wait... what? Hmm... Fine.", ["Wait... what?", "Hmm...", "Fine."]),
        ("See example.com for more. Thanks.", ["See example.com for more.", "Thanks."]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("(It works.) Next one.", ["(It works.)", "Next one."]),
        ("A title\n\nA body without a stop", ["A title\n\nA body without a stop"]),
        ("Steps:\n1. mix well. Bake.", ["Steps:\n1. mix well.", "Bake."]),
    ],
)
def test_sentence_splitter_traps(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences
    assert count_sentences(text) == len(sentences)


def test_words_are_counted_like_regexp_tokenizer_word_runs() -> None:
    assert count_words("") == 0
    assert count_words("It's 3.14, well-known_fact!") == 6  # It, s, 3, 14, well, known_fact
    assert count_words("Héllo wörld — naïve café") == 4


def test_word_tokenize_splits_punctuation_and_contractions_not_hyphens() -> None:
    tokens = word_tokenize("I DON'T know, (NASA) AI/ML WELL-KNOWN U.S. cannot--ok")
    assert tokens == [
        "I",
        "DO",
        "N'T",
        "know",
        "NASA",
        "AI/ML",
        "WELL-KNOWN",
        "U.S.",
        "can",
        "not",
        "ok",
    ]


def test_language_detection_is_deterministic() -> None:
    short = ["ok", "Hi", "Ciao", "si si", "Das ist gut", "merci"]
    first = [detect_language(text) for text in short]
    DetectorFactory.seed = None  # someone else unseeding the shared factory changes nothing
    second = [detect_language(text) for text in short]
    assert first == second
    assert detect_language("Bonjour, je suis très heureux de vous voir.") == "fr"
    ids, kwargs = ["language:response_language"], [{"language": "it"}]
    runs = {tuple(check_instructions("Ciao amico", ids, kwargs, "p")[0]) for _ in range(5)}
    assert len(runs) == 1


def test_undetectable_language_counts_as_followed() -> None:
    assert detect_language("12345 !!! 678") is None
    ids, kwargs = ["language:response_language"], [{"language": "de"}]
    assert check_instructions("12345 !!! 678", ids, kwargs, "p") == ([True], [True])
