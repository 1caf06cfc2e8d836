"""The gate's statistics: exact McNemar, Tango's interval, mean-difference t-intervals, Holm."""

from __future__ import annotations

import pytest

from evalspec.gate.stats import (
    holm,
    mcnemar_exact_p,
    mean_difference,
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


def _ids(values: list[float], prefix: str = "s") -> dict[str, float]:
    return {f"{prefix}{i:03d}": v for i, v in enumerate(values)}


def test_same_sets_without_clusters_give_the_paired_t_interval() -> None:
    before = [0.5] * 16
    diffs = [0.4, -0.3, 0.1, 0.0, -0.5, 0.2, -0.1, 0.3, 0.5, -0.2, 0.1, 0.0, -0.4, 0.3, 0.2, -0.1]
    after = [b + d for b, d in zip(before, diffs, strict=True)]
    mean = sum(diffs) / 16
    se = (sum((d - mean) ** 2 for d in diffs) / 15) ** 0.5 / 4
    half = 2.131450 * se  # t(0.975, 15)

    got = mean_difference(_ids(after), _ids(before), {}, 0.95)

    assert se > 1 / 16  # above the floor
    assert (got.low, got.high) == pytest.approx((mean - half, mean + half), abs=1e-6)
    assert got.p_value == pytest.approx(0.6692, abs=1e-3)  # the paired t-test, 15 df


@pytest.mark.parametrize("n", [10, 20, 200])
def test_unchanged_scores_keep_an_honest_width_of_t_times_range_over_n(n: int) -> None:
    scores = _ids([(i % 5) / 4 for i in range(n)])

    got = mean_difference(scores, scores, {}, 0.95)

    half = {10: 2.262157, 20: 2.093024, 200: 1.971957}[n] / n  # t(0.975, n - 1) * R / n
    assert (got.low, got.high) == pytest.approx((-half, half), abs=1e-6)
    assert got.p_value == 1.0


def test_unchanged_clustered_scores_keep_a_width_of_t_times_range_over_clusters() -> None:
    scores = _ids([float(i % 2) for i in range(200)])
    clusters = {sid: f"passage-{i // 10}" for i, sid in enumerate(scores)}  # 20 clusters

    got = mean_difference(scores, scores, clusters, 0.95)

    assert got.high == pytest.approx(2.093024 / 20, abs=1e-6)  # t(0.975, 19) * R / 20


def test_the_floor_scales_with_the_range_of_the_scores() -> None:
    judge = _ids([1.0 + (i % 10) for i in range(20)])  # a 1..10 judge scale: R = 9

    got = mean_difference(judge, judge, {}, 0.95)

    assert got.high == pytest.approx(2.093024 * 9 / 20, abs=1e-6)


def test_clusters_moving_together_widen_the_interval_to_cluster_level() -> None:
    # 8 passages of 25 questions; every question of 2 passages goes pass -> fail
    before = _ids([1.0] * 200)
    after = _ids([0.0] * 50 + [1.0] * 150)
    clusters = {sid: f"passage-{i // 25}" for i, sid in enumerate(before)}

    naive = mean_difference(after, before, {}, 0.95)
    grouped = mean_difference(after, before, clusters, 0.95)

    assert naive.p_value < 1e-6
    assert grouped.low < -0.25 < grouped.high < 0.2  # the estimate, honestly uncertain
    assert 0.1 < grouped.p_value < 0.3  # t on 7 df: not significant at 8 clusters


def test_sample_ids_on_one_side_count_as_independent_samples() -> None:
    # baseline 1.0 on 200 ids; the candidate passes the 100 shared and fails 100 new ones
    baseline = _ids([1.0] * 200)
    current = {**_ids([1.0] * 100), **_ids([0.0] * 100, prefix="new")}

    got = mean_difference(current, baseline, {}, 0.95)

    assert got.low < got.high < -0.45  # 0.500 - 1.000, not the 0.000 of the shared ids
    assert got.p_value < 1e-6


def test_partly_paired_interval_lies_between_paired_and_unpaired_widths() -> None:
    before = _ids([((i * 7) % 11) / 10 for i in range(80)])
    after = {sid: min(1.0, b + ((i * 3) % 5 - 2) / 20) for i, (sid, b) in enumerate(before.items())}
    ids = list(before)

    def width(current_ids: list[str], baseline_ids: list[str]) -> float:
        got = mean_difference(
            {i: after[i] for i in current_ids}, {i: before[i] for i in baseline_ids}, {}, 0.95
        )
        return got.high - got.low

    paired = width(ids[:40], ids[:40])
    partly = width(ids[:40], ids[20:60])  # 20 shared
    unpaired = width(ids[:40], ids[40:80])

    assert paired < partly < unpaired


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
