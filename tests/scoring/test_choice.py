"""The generate-mode choice scorer: which option an output commits to."""

from __future__ import annotations

import pytest

from evalspec.scoring.choice import choice_score, extract_choice

ABCD = ("A", "B", "C", "D")
PUBMEDQA = ("yes", "no", "maybe")


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("The answer is (B)", "B"),
        ("Answer: C", "C"),
        ("**B**", "B"),
        ("B) because the others are wrong", "B"),
        ("(C)", "C"),
        ("I think the correct option is D.", "D"),
        ("A", "A"),
        (" c. ", "C"),
        ("The correct answer is **C**.", "C"),
        ("I'd go with (A).", "A"),
        ("Final answer: \\boxed{\\text{D}}", "D"),
        ("C. because A is wrong", "C"),
        ("A is correct", "A"),
    ],
)
def test_committed_option(output: str, expected: str) -> None:
    assert extract_choice(output, ABCD) == expected


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        # the article "A" is not option A
        ("A good answer would be C", "C"),
        ("A careful reading shows that B holds.", "B"),
        # letters inside words and abbreviations are not options
        ("Apples and Bananas are Delicious", None),
        ("In the U.S. this is true, so C", "C"),
        # a restatement of all the options is not a commitment
        ("A. cat B. dog C. fish D. bird\nThe answer is B", "B"),
        ("A. cat\nB. dog\nC. fish\nD. bird\nB", "B"),
        # several mentions: the explicit answer phrase wins, wherever it is
        ("The answer is B. Option D is wrong because of C.", "B"),
        ("I would pick C because A is wrong", "C"),
        # else the last standalone label
        ("Option A is wrong. Option C fits.", "C"),
        # lowercase letters: fine after an answer phrase or in parentheses, not in prose
        ("answer: b", "B"),
        ("the answer is a", "A"),
        ("(b) seems right", "B"),
        ("the answer is a good one", None),
        ("not sure", None),
    ],
)
def test_letter_traps(output: str, expected: str | None) -> None:
    assert extract_choice(output, ABCD) == expected


def test_ten_options_pronoun_i_is_not_option_i() -> None:
    labels = tuple("ABCDEFGHIJ")
    assert extract_choice("I think the answer is J", labels) == "J"
    assert extract_choice("I believe it's H", labels) == "H"
    assert extract_choice("The answer is I.", labels) == "I"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Yes, the study shows no effect of the drug on mortality.", "yes"),
        ("maybe", "maybe"),
        ("Maybe.", "maybe"),
        ("YES", "yes"),
        ("The answer is no.", "no"),
        ("No significant effect was seen in the small trial; overall, yes", "yes"),
        ("not sure", None),
        ("The evidence is inconclusive.", None),
    ],
)
def test_word_labels(output: str, expected: str | None) -> None:
    assert extract_choice(output, PUBMEDQA) == expected


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("2", "2"),
        ("Answer: 4", "4"),
        ("I choose 1.", "1"),
        ("The answer is 2.5, so option 3", "3"),
    ],
)
def test_digit_labels(output: str, expected: str) -> None:
    assert extract_choice(output, ("1", "2", "3", "4")) == expected


def test_returns_the_label_as_given() -> None:
    assert extract_choice("YES.", ("Yes", "No")) == "Yes"


def test_score_pass_fail_and_no_option() -> None:
    score = choice_score("The answer is (B)", ABCD, "B")
    assert (score.value, score.extracted, score.detail) == (1.0, "B", None)
    score = choice_score("The answer is (B)", ABCD, "C")
    assert (score.value, score.extracted, score.detail) == (0.0, "B", "expected C")
    score = choice_score("I cannot tell.", PUBMEDQA, "yes")
    assert (score.value, score.extracted) == (0.0, None)
    assert score.detail == "no option (yes, no, maybe) found"
    assert choice_score("Yes.", PUBMEDQA, "YES").value == 1.0
