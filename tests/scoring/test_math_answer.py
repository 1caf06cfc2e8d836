"""The math scorer: boxed-answer extraction, MATH normalisation and equivalence."""

from __future__ import annotations

import pytest

from evalspec.scoring.math_answer import (
    extract_math_answer,
    last_boxed,
    math_equiv,
    math_score,
    normalize_math,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"so \boxed{\frac{1}{\sqrt{2}}} is it", r"\frac{1}{\sqrt{2}}"),
        (r"first \boxed{1} then \boxed{2}", "2"),
        (r"$\boxed 5$", "5"),
        (r"\fbox{3}", "3"),
        (r"\boxed{\left\{ 1, 2 \right\}}", r"\left\{ 1, 2 \right\}"),
        (r"cut off \boxed{\frac{1}{2}", None),
        ("no box", None),
        (r"\boxed{}", None),
    ],
)
def test_last_boxed(text: str, expected: str | None) -> None:
    assert last_boxed(text) == expected


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (r"Thus the answer is \boxed{\frac{1}{2}}.", r"\frac{1}{2}"),
        (
            "Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.",
            r"\frac{3}{4}",
        ),
        ("Adding them up, the answer is 42.", "42"),
        ("We get $x = 3$ and then $y = 7$", "y = 7"),
        (r"so \(x = 2\)", "x = 2"),
        ("17", "17"),
        ("I do not know how to solve this problem", None),
    ],
)
def test_extract_math_answer(output: str, expected: str | None) -> None:
    assert extract_math_answer(output) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"\dfrac{3}{4}", r"\frac{3}{4}"),
        (r"\tfrac12", r"\frac{1}{2}"),
        (r"\frac1{72}", r"\frac{1}{72}"),
        (r"\frac{\sqrt3}2", r"\frac{\sqrt{3}}{2}"),
        (r"\left( 1, 2 \right)", "(1,2)"),
        (r"10\text{ cm}", "10"),
        (r"90^\circ", "90"),
        (r"90^{\circ}", "90"),
        (r"\$5", "5"),
        (r"5\%", "5"),
        ("x = 5", "5"),
        (r"\theta = \pi", r"\pi"),
        (".5", "0.5"),
        ("5.0", "5"),
        ("2.50", "2.5"),
        ("1,000", "1000"),
        (r"1{,}000", "1000"),
        (r"1\,000", "1000"),
        ("3/4", r"\frac{3}{4}"),
        ("-1/2", r"-\frac{1}{2}"),
        (r"\text{(B)}", "B"),
        (r"\sqrt[3]{2}", r"\sqrt[3]{2}"),
        (r"\!\!5", "5"),
    ],
)
def test_normalize_math(raw: str, expected: str) -> None:
    assert normalize_math(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (r"\frac{1}{2}", r"\frac12"),
        (r"\frac{1}{2}", "0.5"),
        (r"\frac{1}{2}", "1/2"),
        ("0.5", "1/2"),
        ("1,000", "1000"),
        (r"\$5", "5"),
        (r"5\%", "5"),
        (r"\text{(B)}", "B"),
        (r"\text{(B)}", "(B)"),
        (r"\frac{1}{3}", "0.3333333"),
        (r"-\frac{3}{2}", "-1.5"),
        ("x = 5", "5.0"),
    ],
)
def test_equivalent(a: str, b: str) -> None:
    assert math_equiv(a, b)
    assert math_equiv(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [("2", "3"), (r"\frac{1}{3}", "0.333"), ("x+1", "x+2"), (r"\sqrt{2}", "1.414"), ("1,2", "12")],
)
def test_not_equivalent(a: str, b: str) -> None:
    assert not math_equiv(a, b)


def test_score_boxed_against_plain_and_boxed_targets() -> None:
    score = math_score(r"So we get \boxed{\dfrac{1}{2}}.", "0.5")
    assert (score.value, score.extracted, score.detail) == (1.0, r"\dfrac{1}{2}", None)
    assert math_score(r"\boxed{1,000}", "1000").value == 1.0
    assert math_score(r"\boxed{4}", r"The answer is $\boxed{4}$.").value == 1.0


def test_score_wrong_answer_names_both_normalised_forms() -> None:
    score = math_score(r"\boxed{3}", r"\boxed{4}")
    assert (score.value, score.extracted) == (0.0, "3")
    assert score.detail == "'3' is not equivalent to '4'"


def test_score_without_a_final_answer() -> None:
    score = math_score("Let me think about this problem step by step.\nIt is hard.", "5")
    assert (score.value, score.extracted) == (0.0, None)
    assert score.detail is not None and "no final answer" in score.detail


def test_score_missing_box_falls_back_to_answer_phrase() -> None:
    assert math_score("The final answer is $\\frac{1}{2}$.", "1/2").value == 1.0
