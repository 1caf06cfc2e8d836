"""The gsm8k scorer: lm-eval's strict-match and flexible-extract filters and exact match."""

from __future__ import annotations

import pytest

from evalspec.data.types import Sample
from evalspec.scoring import score_outputs
from evalspec.scoring.gsm8k import (
    FLEXIBLE,
    GSM8K_METRICS,
    INVALID,
    STRICT,
    extract,
    gsm8k_score,
    normalise,
)
from evalspec.spec.scorers import SCORER_METRICS, Gsm8kScorer

SOLUTION = "She has 3 * 4 = <<3*4=12>>12 apples.\nShe buys 60 more: 12 + 60 = 72.\n#### 72"


def _values(output: str, reference: str = SOLUTION) -> tuple[float, float]:
    score = gsm8k_score(output, reference)
    return score.values["strict-match"], score.values["flexible-extract"]


def test_metrics_are_lm_evals_filter_names_in_its_order() -> None:
    assert GSM8K_METRICS == SCORER_METRICS["gsm8k"] == ("strict-match", "flexible-extract")


def test_reference_is_cut_to_its_final_number() -> None:
    assert normalise(SOLUTION) == "72"
    assert normalise("so 1,000 + 200\n#### 1,200") == "1200"
    assert normalise("#### $5.") == "5"


@pytest.mark.parametrize(
    ("output", "strict", "flexible"),
    [
        ("12 + 60 = 72.\n#### 72", 1.0, 1.0),
        ("#### 72\nQuestion: next, 5 apples", 1.0, 0.0),  # flexible: the LAST number
        ("So she has 72 apples.", 0.0, 1.0),  # no #### line
        ("The answer is $72.", 0.0, 1.0),  # "$" and the final "." are ignored
        ("#### 72.0", 0.0, 0.0),  # string equality: 72.0 is not 72
        ("She has 60 + 12 = 72 apples, not 7", 0.0, 0.0),
        ("#### 70 + 2", 0.0, 0.0),  # strict takes its first match only
        ("nothing here", 0.0, 0.0),
    ],
)
def test_strict_and_flexible_extraction_as_lm_eval(
    output: str, strict: float, flexible: float
) -> None:
    assert _values(output) == (strict, flexible)


def test_extract_follows_the_regex_filter() -> None:
    assert extract("#### 1,200 then #### 5", STRICT, 0) == "1,200"
    assert extract("no marker", STRICT, 0) == INVALID
    # two-group alternation: the last match's non-empty group; "7" alone is group 2
    assert extract("costs $12.50 or 7", FLEXIBLE, -1) == "7"
    assert extract("costs $12.50.", FLEXIBLE, -1) == "$12.50."
    assert extract("a-b", FLEXIBLE, -1) == INVALID


def test_thousands_separators_and_case_are_ignored() -> None:
    assert _values("#### 1,200", "#### 1200") == (1.0, 1.0)
    assert _values("#### 1200", "#### 1,200") == (1.0, 1.0)


def test_extracted_shows_both_answers_and_strict_is_the_value() -> None:
    score = gsm8k_score("So 72 apples.", SOLUTION)
    assert score.value == 0.0
    assert score.extracted == "[invalid] | 72"
    assert score.detail == "expected 72"


def test_score_outputs_uses_the_worked_solution_else_the_target() -> None:
    gsm8k = Sample(id="a", prompt="q", target="72", meta={"solution": SOLUTION})
    plain = Sample(id="b", prompt="q", target="1,200")
    scores = score_outputs(Gsm8kScorer(type="gsm8k"), [gsm8k, plain], ["#### 72", "1200"])
    assert [s.values for s in scores] == [
        {"strict-match": 1.0, "flexible-extract": 1.0},
        {"strict-match": 0.0, "flexible-extract": 1.0},
    ]
