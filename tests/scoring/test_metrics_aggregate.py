"""aggregate: mean, standard error of the mean (ddof=1) and n."""

from __future__ import annotations

import math

import pytest

from evalspec.scoring import aggregate


def test_mean_and_standard_error_of_known_values() -> None:
    metric = aggregate("accuracy", [1.0, 0.0, 1.0, 1.0])
    assert metric.name == "accuracy"
    assert metric.value == 0.75
    # sample variance = 0.25, stderr = sqrt(0.25 / 4) = 0.25
    assert metric.stderr == pytest.approx(0.25)
    assert metric.n == 4
    assert metric.higher_is_better


def test_standard_error_of_non_binary_values() -> None:
    metric = aggregate("m", [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    assert metric.value == 5.0
    assert metric.stderr == pytest.approx(math.sqrt(32 / 7 / 8))


def test_single_value_has_zero_stderr() -> None:
    metric = aggregate("pass@1", [1.0])
    assert (metric.value, metric.stderr, metric.n) == (1.0, 0.0, 1)


def test_identical_values_have_zero_stderr() -> None:
    assert aggregate("m", [0.0, 0.0, 0.0]).stderr == 0.0


def test_no_values_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        aggregate("m", [])
