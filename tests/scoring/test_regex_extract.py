"""The regex scorer: extraction with a pattern, normalised comparison, pattern checks."""

from __future__ import annotations

import pytest

from evalspec.scoring.regex_extract import compile_pattern, regex_score

ANSWER = r"[Aa]nswer:\s*(.+)"


def test_extracted_group_matches_target_after_normalising() -> None:
    score = regex_score("Reasoning...\nAnswer:   Paris  France.", "paris france", pattern=ANSWER)
    assert (score.value, score.extracted, score.detail) == (1.0, "Paris France.", None)


def test_mismatch_reports_the_expected_target() -> None:
    score = regex_score("Answer: Rome", "Paris", pattern=ANSWER)
    assert (score.value, score.extracted) == (0.0, "Rome")
    assert score.detail == "expected 'Paris'"


def test_no_match_scores_zero_with_detail() -> None:
    score = regex_score("I am not sure.", "Paris", pattern=ANSWER)
    assert (score.value, score.extracted, score.detail) == (0.0, None, "pattern did not match")


def test_last_match_by_default_first_on_request() -> None:
    output = "Answer: 3\nWait, let me redo that.\nAnswer: 4"
    assert regex_score(output, "4", pattern=ANSWER).value == 1.0
    assert regex_score(output, "3", pattern=ANSWER, which="first").value == 1.0
    assert regex_score(output, "3", pattern=ANSWER).value == 0.0


def test_ignore_case_only_governs_the_comparison() -> None:
    assert regex_score("Answer: PARIS", "paris", pattern=ANSWER).value == 1.0
    assert regex_score("Answer: PARIS", "paris", pattern=ANSWER, ignore_case=False).value == 0.0
    # the pattern itself stays case-sensitive: the article "a" is not option A
    score = regex_score("a cat sat; B", "B", pattern=r"\b([A-D])\b")
    assert (score.value, score.extracted) == (1.0, "B")


def test_group_zero_and_later_groups() -> None:
    assert regex_score("total = 42 units", "42 units", pattern=r"\d+ units", group=0).value == 1.0
    assert regex_score("x=1, y=2", "2", pattern=r"(x)=\d, (y)=(\d)", group=3).value == 1.0


def test_group_not_taking_part_is_skipped() -> None:
    output = "final: 7 ... note: 9"
    assert regex_score(output, "7", pattern=r"final: (\d)|note: (x)").value == 1.0


def test_whitespace_collapsed_and_trailing_period_dropped() -> None:
    assert regex_score("Answer: New\t  York.", "new york", pattern=ANSWER).value == 1.0


def test_compile_pattern_is_cached() -> None:
    assert compile_pattern(r"a(b)") is compile_pattern(r"a(b)")


@pytest.mark.parametrize(
    ("pattern", "group", "message"),
    [
        (r"answer: (\d+", 1, "invalid regex"),
        (r"answer: \d+", 1, "has 0 capture groups: group 1 does not exist"),
        (r"(a)(b)", 3, "has 2 capture groups: group 3"),
        (r"(a)", 2, "has 1 capture group: group 2"),
        (r"(a)", -1, "group -1 does not exist"),
    ],
)
def test_compile_pattern_rejects_bad_regex_and_missing_group(
    pattern: str, group: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        compile_pattern(pattern, group)
