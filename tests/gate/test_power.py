"""Simulated size and power of the gate (benchmarks/gate_power.py; fewer trials where slower).

Tolerances: a measured rate over T seeded trials may exceed its true rate by
three binomial standard errors, 3 sqrt(r (1 - r) / T) (0.0146 for r = 0.05,
T = 2000); the seeds are fixed, so each figure is the same on every run.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from evalspec.gate import Status

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def power() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gate_power", REPO / "benchmarks" / "gate_power.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gate_power"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_no_true_change_fails_at_most_alpha_of_2000_trials_at_n_200(power: ModuleType) -> None:
    got = power.rates(power.NO_CHANGE, 2000)

    assert got[Status.FAIL] <= power.ALPHA + power.binomial_slack(power.ALPHA, 2000)


def test_a_true_drop_of_exactly_the_margin_rarely_passes_or_fails(power: ModuleType) -> None:
    half = power.ALPHA / 2  # each side of the two-sided interval
    got = power.rates(power.AT_MARGIN, 2000)

    assert got[Status.PASS] <= half + power.binomial_slack(half, 2000)
    assert got[Status.FAIL] <= half + power.binomial_slack(half, 2000)


def test_a_true_drop_of_twice_the_margin_fails_90_percent_of_2000_trials_at_n_500(
    power: ModuleType,
) -> None:
    assert power.rates(power.DROP, 2000)[Status.FAIL] >= 0.90


def test_continuous_scores_keep_size_and_power_with_the_paired_t(power: ModuleType) -> None:
    trials = 150
    half = power.ALPHA / 2
    no_change = power.rates(power.NO_CHANGE_CONTINUOUS, trials)
    at_margin = power.rates(power.AT_MARGIN_CONTINUOUS, trials)
    drop = power.rates(power.DROP_CONTINUOUS, 60)

    assert no_change[Status.FAIL] <= power.ALPHA + power.binomial_slack(power.ALPHA, trials)
    assert at_margin[Status.PASS] <= half + power.binomial_slack(half, trials)
    assert drop[Status.FAIL] >= 0.90


def test_clusters_that_move_together_keep_wrong_verdicts_at_the_margin_near_alpha(
    power: ModuleType,
) -> None:
    trials = 600
    half = power.ALPHA / 2
    clustered = power.rates(power.AT_MARGIN_CLUSTERED, trials)
    withheld = power.rates(power.AT_MARGIN_CLUSTERS_WITHHELD, trials)

    assert clustered[Status.PASS] <= half + power.binomial_slack(half, trials)
    assert clustered[Status.FAIL] <= half + power.binomial_slack(half, trials)
    # the same data tested per sample (exact McNemar) is wrong far more often
    assert withheld[Status.FAIL] > 0.05 and withheld[Status.PASS] > 0.05


def test_changed_sample_sets_keep_size_at_no_change_and_at_the_margin(power: ModuleType) -> None:
    trials = 600
    half = power.ALPHA / 2
    no_change = power.rates(power.NO_CHANGE_CHURN, trials)
    at_margin = power.rates(power.AT_MARGIN_CHURN, trials)

    assert no_change[Status.FAIL] <= power.ALPHA + power.binomial_slack(power.ALPHA, trials)
    assert at_margin[Status.PASS] <= half + power.binomial_slack(half, trials)
    assert at_margin[Status.FAIL] <= half + power.binomial_slack(half, trials)
