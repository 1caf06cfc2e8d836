"""Reading a judge's rating: the [[N]] format, unambiguous fallbacks, and the traps."""

from __future__ import annotations

import pytest

from evalspec.scoring.judge import judge_score, parse_rating


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("[[7]]", 7.0),
        ("[[7.5]]", 7.5),
        ("The answer is correct and clear.\n\nRating: [[8]]", 8.0),
        ("Rating: [[ 9 ]]", 9.0),
        ("Rating: [[**6**]]", 6.0),
        ("Rating: [[8/10]]", 8.0),
        ("[[1]]", 1.0),
        ("[[10]]", 10.0),
        # several different ratings: the last is the verdict
        ("At first glance [[4]]; on reflection the proof holds. Rating: [[7]]", 7.0),
        # numbers in the prose do not count when [[N]] is there
        ("There are 3 reasons, 2 of them minor, and 1/10 of the text is off. [[6]]", 6.0),
        # the format example echoed from the prompt is not the rating
        ('I must answer in the format "[[rating]]", for example: "Rating: [[5]]".\n[[8]]', 8.0),
        # fallbacks, when every mention names the same number
        ("Rating: 8", 8.0),
        ("**Rating:** 9", 9.0),
        ("I would give it a score of 4.", 4.0),
        ("Rating: [3]", 3.0),
        ("I'd give it 7/10", 7.0),
        ("Solid work: 8 out of 10.", 8.0),
        ("Rating: 8/10. Overall 8 out of 10.", 8.0),
        ("About 3/4 of the steps are right; I'd give it 6/10", 6.0),
    ],
)
def test_rating_found(reply: str, expected: float) -> None:
    assert parse_rating(reply) == expected


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   \n",
        "The answer is good.",
        # the placeholder echoed from the prompt
        'Rate it as "[[rating]]".',
        "Rating: [[rating]]",
        # only the format example echoed, no rating of its own
        'Following the format "[[rating]]", for example: "Rating: [[5]]".',
        # out of scale
        "Rating: [[11]]",
        "Rating: [[0]]",
        "[[7]] ... on second thought [[12]]",
        "Rating: 11",
        "I'd give it 70/100",
        # ambiguous fallbacks
        "It gets 9/10 of the facts right, so 6/10 overall",
        "Rating: 7, maybe a score of 8",
        # a range is no rating
        "I will rate it on a score of 1 to 10.",
        "There are 3 reasons this fails.",
    ],
)
def test_no_rating(reply: str) -> None:
    assert parse_rating(reply) is None


def test_scale_bounds() -> None:
    assert parse_rating("[[0]]", scale=(0, 5)) == 0.0
    assert parse_rating("[[5]]", scale=(0, 5)) == 5.0
    assert parse_rating("[[6]]", scale=(0, 5)) is None
    assert parse_rating("I'd say 4/5", scale=(0, 5)) == 4.0
    assert parse_rating("I'd say 4/10", scale=(0, 5)) is None


def test_judge_score_rating() -> None:
    score = judge_score("Good answer. Rating: [[7.5]]", (1, 10), None)
    assert (score.value, score.extracted, score.detail, score.excluded) == (7.5, "7.5", None, False)
    assert judge_score("[[8]]", (1, 10), 1.0).extracted == "8"


def test_judge_score_without_rating_is_excluded() -> None:
    reply = "The assistant's answer is mostly correct but misses the edge case. " * 3
    score = judge_score(reply, (1, 10), None)
    assert score.excluded and score.extracted is None
    assert score.detail == f"judge reply has no parsable rating: {reply[:80]!r}…"


def test_judge_score_without_rating_takes_failure_value() -> None:
    score = judge_score("Rating: [[11]]", (1, 10), 1.0)
    assert (score.value, score.excluded, score.extracted) == (1.0, False, None)
    assert score.detail == "judge reply has no parsable rating: 'Rating: [[11]]'"


def test_judge_score_empty_reply() -> None:
    score = judge_score("", (1, 10), None)
    assert score.excluded
    assert score.detail == "judge reply has no parsable rating: ''"
