"""The numeric scorer finds the number an output commits to and compares it to the target."""

from __future__ import annotations

import pytest

from evalspec.scoring.exact import numeric_score
from evalspec.scoring.numeric import extract_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("There are 1,234 apples.", "1234"),
        ("It costs $1,234.50 in total.", "1234.5"),
        ("The rope is 12 cm long", "12"),
        ("The temperature is -5 degrees", "-5"),
        ("She owes -$7.", "-7"),
        ("The answer is 42.", "42"),
        ("So the result is 1,000,000.", "1000000"),
        ("3/4", "0.75"),
        ("Half of 8 is 4.", "4"),
        ("Step 1: 10 - 3 = 7. Then 7 * 2 = 14.", "14"),
        ("5 - 3", "3"),
        ("Our answer: 18 apples, leaving 3 for later", "18"),
        ("The answer is **18** and 4 were left", "18"),
        ("We get \\boxed{25} and 3 more words 7", "25"),
        ("\\boxed{\\frac{3}{4}}", "0.75"),
        ("work 5 + 5 = 10\n#### 1,250\nthanks 3", "1250"),
        ("The answer is 1,234, which is large", "1234"),
        ("0.5", "0.5"),
    ],
)
def test_extraction_handles_separators_units_signs_markers_and_fractions(
    text: str, expected: str
) -> None:
    found = extract_number(text)
    assert found is not None
    assert found.text == expected


def _found(text: str) -> str | None:
    found = extract_number(text)
    return None if found is None else found.text


def test_marker_order_prefers_hash_over_answer_is_over_boxed_over_last() -> None:
    assert _found("\\boxed{1} The answer is 2. #### 3 and then 4") == "3"
    assert _found("\\boxed{1} The answer is 2. then 4") == "2"
    assert _found("\\boxed{1} then 4") == "1"
    assert _found("1 then 4") == "4"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("So, 9 bags * 9 pens = 81 pens.", "81"),
        ("The answer is 10 + 10 = 20.", "20"),
        ("The answer is: So, 9 bags * 9 pens = 81 pens.", "81"),
        ("#### 9 bags * 9 pens = 81", "81"),
        ("The answer is 20 = 4 * 5.", "20"),  # the right side is no single result
        ("The answer is 12. Then 3 + 9 = 15", "12"),  # only the sentence after the marker
        ("The answer is 5, because 2 + 3 = 5", "5"),
        ("answer: x = 5", "5"),
        ("The answer is $1,234.50.", "1234.5"),
    ],
)
def test_a_marker_is_followed_by_the_final_answer_not_the_first_operand(
    text: str, expected: str
) -> None:
    assert _found(text) == expected


def test_marker_without_a_number_falls_back_to_the_last_number() -> None:
    found = extract_number("The answer is below.\nWe computed 6 then 8")
    assert found is not None and found.text == "8"


def test_no_number_scores_zero_with_detail() -> None:
    score = numeric_score("I do not know.", "4", tolerance=1e-6)
    assert score.value == 0.0
    assert score.extracted is None
    assert score.detail == "no number in output"


def test_matching_number_scores_one_and_reports_extracted() -> None:
    score = numeric_score("Total: $1,200.", "1200", tolerance=1e-6)
    assert (score.value, score.extracted) == (1.0, "1200")


def test_wrong_number_scores_zero() -> None:
    score = numeric_score("It is 13.", "14", tolerance=1e-6)
    assert (score.value, score.extracted, score.detail) == (0.0, "13", "expected 14")


def test_tolerance_is_absolute() -> None:
    assert numeric_score("0.333", "1/3", tolerance=0.001).value == 1.0
    assert numeric_score("0.33", "0.333", tolerance=0.001).value == 0.0
    assert numeric_score("16.50", "16.5", tolerance=0.0).value == 1.0


def test_non_numeric_target_scores_zero_with_detail() -> None:
    score = numeric_score("4", "four", tolerance=1e-6)
    assert score.value == 0.0
    assert score.detail == "target 'four' is not a number"
