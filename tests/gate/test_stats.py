"""The gate's statistics: exact McNemar, Tango's interval, seeded bootstraps, Holm, unpaired."""

from __future__ import annotations

import pytest

from evalspec.gate.stats import (
    holm,
    mcnemar_exact_p,
    paired_bootstrap,
    tango_interval,
    unpaired_normal,
    z_value,
)


def test_exact_mcnemar_is_the_two_sided_binomial_tail_of_the_discordant_pairs() -> None:
    assert mcnemar_exact_p(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_exact_p(1, 9) == pytest.approx(2 * 11 / 1024)
    assert mcnemar_exact_p(8, 12) == pytest.approx(0.503445, abs=1e-6)
    assert mcnemar_exact_p(0, 0) == 1.0
    assert mcnemar_exact_p(3, 3) == 1.0


@pytest.mark.parametrize("n", [10, 20, 200])
def test_tango_interval_without_changed_samples_is_plus_minus_z2_over_n_plus_z2(n: int) -> None:
    z2 = z_value(0.95) ** 2

    low, high = tango_interval(0, 0, n, 0.95)

    assert (low, high) == pytest.approx((-z2 / (n + z2), z2 / (n + z2)), abs=1e-9)


def test_tango_interval_holds_the_estimate_stays_in_range_and_shifts_with_losses() -> None:
    previous_high = 1.0
    for lost in range(0, 21):
        low, high = tango_interval(0, lost, 20, 0.95)
        assert -1.0 <= low <= -lost / 20 <= high <= 1.0
        assert high < previous_high
        previous_high = high


def test_higher_confidence_gives_a_wider_interval() -> None:
    narrow = tango_interval(8, 12, 200, 0.80)
    wide = tango_interval(8, 12, 200, 0.99)

    assert wide[0] < narrow[0] and wide[1] > narrow[1]


def test_bootstrap_is_fixed_by_its_seed() -> None:
    diffs = [((i * 7) % 11 - 5) / 10 for i in range(60)]

    first = paired_bootstrap(diffs, 0.95, seed=1)

    assert paired_bootstrap(diffs, 0.95, seed=1) == first
    assert paired_bootstrap(diffs, 0.95, seed=2) != first


def test_bootstrap_of_constant_differences_is_that_constant_with_a_small_p() -> None:
    interval = paired_bootstrap([-0.25] * 10, 0.95, seed=0, resamples=999)

    assert (interval.low, interval.high) == (-0.25, -0.25)
    assert interval.p_value == pytest.approx(2 / 1000)


def test_cluster_bootstrap_widens_the_interval_when_clustered_samples_move_together() -> None:
    cluster_means = [((c * 5) % 9 - 4) / 10 for c in range(20)]
    diffs = [m for m in cluster_means for _ in range(10)]
    clusters = [f"c{c}" for c in range(20) for _ in range(10)]

    naive = paired_bootstrap(diffs, 0.95, seed=3)
    grouped = paired_bootstrap(diffs, 0.95, seed=3, clusters=clusters)

    assert grouped.high - grouped.low > 2.5 * (naive.high - naive.low)


def test_holm_adjusts_step_down_and_keeps_keys() -> None:
    assert holm({0: 0.01, 1: 0.04, 2: 0.03}) == pytest.approx({0: 0.03, 1: 0.06, 2: 0.06})
    assert holm({7: 0.5}) == {7: 0.5}
    assert holm({}) == {}


def test_unpaired_normal_interval_uses_both_standard_errors() -> None:
    interval = unpaired_normal(-0.02, 0.03, 0.04, 0.95)

    assert (interval.low, interval.high) == pytest.approx(
        (-0.02 - 1.959964 * 0.05, -0.02 + 1.959964 * 0.05), abs=1e-6
    )
    assert unpaired_normal(0.0, 0.0, 0.0, 0.95).p_value == 1.0
