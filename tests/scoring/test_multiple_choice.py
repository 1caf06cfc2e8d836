"""choice_score: acc, acc_norm (per character of the choice text, as lm-eval) and mc2 from
per-choice log-likelihoods."""

from __future__ import annotations

import math

import pytest

from evalspec.scoring.multiple_choice import MC_METRICS, choice_score


def test_reports_every_multiple_choice_metric() -> None:
    score = choice_score([-1.0, -2.0], ["a", "b"], [0])
    assert set(score.values) == set(MC_METRICS) == {"acc", "acc_norm", "mc2"}
    assert score.value == score.values["acc"] == 1.0
    assert score.extracted == "0"
    assert score.detail is None
    assert not score.excluded


def test_acc_and_acc_norm_disagree_on_a_long_gold_continuation() -> None:
    short, long = " no", " yes, because the passage says so"
    lls = [-2.0, -6.0]  # the long gold choice is less likely in total, likelier per character
    assert -6.0 / len(long.strip()) > -2.0 / len(short.strip())
    score = choice_score(lls, [short, long], [1])
    assert score.values["acc"] == 0.0
    assert score.values["acc_norm"] == 1.0
    assert score.value == 0.0
    assert score.extracted == "0"  # extracted is the raw (acc) pick
    assert score.detail == "picked choice 0, gold 1"
    expected_mc2 = math.exp(-6.0) / (math.exp(-2.0) + math.exp(-6.0))
    assert score.values["mc2"] == pytest.approx(expected_mc2)


def test_acc_norm_divides_by_the_choice_without_its_delimiter() -> None:
    # lm-eval: len(choice) of " a" is 1, not 2. With the delimiter counted the short choice
    # would win (-1/2 > -2.9/4); by lm-eval's rule the long one does (-1/1 < -2.9/3)
    lls = [-1.0, -2.9]
    assert -1.0 / 2 > -2.9 / 4 and -1.0 / 1 < -2.9 / 3
    assert choice_score(lls, [" a", " bcd"], [1]).values["acc_norm"] == 1.0
    assert choice_score(lls, ["\na", "\nbcd"], [1]).values["acc_norm"] == 1.0
    explicit = choice_score(lls, ["::a", "::bcd"], [1], choices=["a", "bcd"])
    assert explicit.values["acc_norm"] == 1.0


def test_acc_norm_counts_characters_not_utf8_bytes() -> None:
    accented, plain = "ééé", "abcd"  # 3 characters / 6 bytes, 4 characters / 4 bytes
    lls = [-3.3, -4.2]
    # per character (lm-eval's len()): -1.1 vs -1.05, plain wins; per byte accented would
    assert -3.3 / len(accented) < -4.2 / len(plain)
    assert -3.3 / len(accented.encode("utf-8")) > -4.2 / len(plain.encode("utf-8"))
    score = choice_score(lls, [accented, plain], [0])
    assert score.values["acc_norm"] == 0.0
    assert score.values["acc"] == 1.0


def test_choice_texts_must_pair_with_the_log_likelihoods() -> None:
    with pytest.raises(ValueError, match="2 log-likelihoods for 1 choice texts"):
        choice_score([-1.0, -2.0], [" a", " b"], [0], choices=["a"])


def test_empty_continuation_is_divided_by_one() -> None:
    # "" would divide by zero; it counts as one character: -0.5 / 1 beats -4.0 / 4
    score = choice_score([-0.5, -4.0], ["", "abcd"], [1])
    assert score.values["acc"] == 0.0
    assert score.values["acc_norm"] == 0.0


def test_ties_pick_the_first_index() -> None:
    score = choice_score([-1.0, -1.0, -2.0], ["x", "y", "z"], [1])
    assert score.extracted == "0"
    assert score.values["acc"] == 0.0
    assert score.values["acc_norm"] == 0.0  # equal lengths: the normalised tie too
    assert choice_score([-1.0, -1.0, -2.0], ["x", "y", "z"], [0]).values["acc"] == 1.0


def test_tie_after_normalisation_picks_the_first_index() -> None:
    # -2/2 == -1/1: the normalised values tie, the first choice wins acc_norm
    score = choice_score([-2.0, -1.0], ["ab", "c"], [0])
    assert score.values["acc"] == 0.0
    assert score.values["acc_norm"] == 1.0


def test_acc_with_several_gold_choices() -> None:
    score = choice_score([-3.0, -1.0, -2.0], ["a", "b", "c"], [0, 1])
    assert score.values["acc"] == 1.0
    assert score.detail is None
    miss = choice_score([-3.0, -1.0, -2.0], ["a", "b", "c"], [0, 2])
    assert miss.values["acc"] == 0.0
    assert miss.detail == "picked choice 1, gold 0, 2"


def test_mc2_is_the_probability_mass_on_the_gold_choices() -> None:
    lls = [-0.5, -1.5, -2.0, -3.0]
    p = [math.exp(v) for v in lls]
    score = choice_score(lls, ["a", "b", "c", "d"], [1, 3])
    assert score.values["mc2"] == pytest.approx((p[1] + p[3]) / sum(p))


def test_mc2_is_numerically_stable_for_very_negative_log_likelihoods() -> None:
    lls = [-1000.0, -1001.0, -1002.0, -1003.0]
    assert math.exp(lls[0]) == 0.0  # a naive exp underflows to 0 / 0
    score = choice_score(lls, ["a", "b", "c", "d"], [0, 2])
    # shift by the maximum by hand: weights 1, e^-1, e^-2, e^-3
    expected = (1 + math.exp(-2)) / (1 + math.exp(-1) + math.exp(-2) + math.exp(-3))
    assert math.isfinite(score.values["mc2"])
    assert score.values["mc2"] == pytest.approx(expected, rel=1e-12)


def test_mc2_with_every_choice_gold_is_one() -> None:
    score = choice_score([-5.0, -700.0, -1200.0], ["a", "b", "c"], [0, 1, 2])
    assert score.values["mc2"] == pytest.approx(1.0)


def test_mc2_of_a_far_less_likely_gold_is_near_zero() -> None:
    score = choice_score([-1.0, -1000.0], ["a", "b"], [1])
    assert score.values["mc2"] == pytest.approx(0.0, abs=1e-300)
    assert score.values["mc2"] >= 0.0


@pytest.mark.parametrize(
    ("lls", "continuations"),
    [([-1.0, -2.0], ["a"]), ([-1.0], ["a", "b"]), ([], [])],
)
def test_length_mismatch_or_no_choices_raise(lls: list[float], continuations: list[str]) -> None:
    with pytest.raises(ValueError, match="log-likelihoods"):
        choice_score(lls, continuations, [0])
