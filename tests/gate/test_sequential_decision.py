"""The sequential rule: early PASS/FAIL, the α split, the fallback, Holm across rules, clusters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evalspec.gate.sequential import Decision, SequentialRule, State, Target, decide_all, looks
from evalspec.gate.sequential.fallback import TANGO
from evalspec.gate.stats import holm, tango_interval


def stream(lost: float, gained: float, n: int, seed: int) -> np.ndarray:
    """Binary paired differences: -1 with probability lost, +1 with gained."""
    u = np.random.Generator(np.random.PCG64(seed)).random(n)
    return np.where(u < lost, -1.0, np.where(u < lost + gained, 1.0, 0.0))


def run(
    rule: SequentialRule, d: np.ndarray, first_look: int = 64, every: int | None = None
) -> Decision:
    seen = 0
    for point in looks(rule.budget_n, first_look, every):
        decision = rule.update(d[seen:point])
        seen = point
        if decision.final:
            return decision
    raise AssertionError("the budget always ends a rule")


def test_a_candidate_equal_to_the_baseline_passes_early() -> None:
    rule = SequentialRule(0.05, 1319)

    decision = run(rule, np.zeros(1319))

    assert decision.state is State.PASS
    assert decision.method == "sequential"
    assert decision.n_used < 0.2 * 1319
    assert decision.low >= -0.05 and decision.p_pass <= rule.alpha_sequential / 2


def test_a_broken_candidate_fails_within_a_few_dozen_samples() -> None:
    rule = SequentialRule(0.05, 1319)

    decision = rule.update(stream(0.6, 0.0, 64, seed=1))  # most answers now wrong

    assert decision.state is State.FAIL
    assert decision.n_used == 64
    assert decision.high < -0.05 and decision.e_fail >= rule.threshold


def test_a_clear_drop_fails_and_no_change_passes_with_churn() -> None:
    drop = run(SequentialRule(0.05, 1319), stream(0.1, 0.0, 1319, seed=2), every=50)
    same = run(SequentialRule(0.05, 1319), stream(0.05, 0.05, 1319, seed=3), every=50)

    assert drop.state is State.FAIL and drop.n_used < 1319 / 2
    assert same.state is State.PASS and same.n_used < 1319 / 2
    assert drop.low <= drop.estimate <= drop.high  # type: ignore[operator]


def test_the_alpha_split_gives_threshold_2_over_alpha_seq_and_a_fallback_level() -> None:
    rule = SequentialRule(0.05, 500, alpha=0.05, sequential_share=0.8)

    assert rule.alpha_sequential == pytest.approx(0.04)
    assert rule.alpha_fallback == pytest.approx(0.01)
    assert rule.threshold == pytest.approx(50.0)


def test_at_the_budget_the_rule_falls_back_on_tangos_interval_at_1_minus_alpha_fb() -> None:
    rule = SequentialRule(0.05, 100)
    d = stream(0.075, 0.025, 100, seed=4)  # at the margin: undecided sequentially

    decision = rule.update(d)

    gained, lost = int(np.sum(d == 1)), int(np.sum(d == -1))
    low, high = tango_interval(gained, lost, 100, 0.99)
    assert decision.fallback is not None and decision.method == TANGO
    assert (decision.fallback.low, decision.fallback.high) == pytest.approx((low, high))
    assert decision.fallback.confidence == pytest.approx(0.99)
    want = State.PASS if low >= -0.05 else State.FAIL if high < -0.05 else State.BUDGET
    assert decision.state is want
    assert "budget of 100 samples reached" in decision.reason


def test_without_a_fallback_share_the_budget_ends_undecided() -> None:
    rule = SequentialRule(0.05, 100, sequential_share=1.0)

    decision = rule.update(stream(0.075, 0.025, 100, seed=4))

    assert rule.threshold == pytest.approx(40.0)
    assert decision.state is State.BUDGET and decision.fallback is None
    assert "no fallback" in decision.reason


def test_continuous_scores_fall_back_on_the_paired_t_interval() -> None:
    rng = np.random.Generator(np.random.PCG64(5))
    base = rng.uniform(0.3, 0.7, 80)
    rule = SequentialRule(0.05, 80)

    decision = rule.update(base + rng.uniform(-0.2, 0.2, 80) - base)  # noisy: undecided

    assert decision.method == "paired-t" and decision.fallback is not None
    assert decision.state in (State.PASS, State.FAIL, State.BUDGET)


def test_the_benchmark_target_is_exact_at_n_and_spends_all_alpha_sequentially() -> None:
    n = 200
    rule = SequentialRule(0.05, n, target=Target.BENCHMARK, population_n=n)
    d = np.zeros(n)
    d[:11] = -1.0  # the whole benchmark dropped 0.055 > m

    decision = rule.update(d)

    assert rule.alpha_sequential == 0.05 and rule.alpha_fallback == 0.0
    assert decision.state is State.FAIL and decision.method == "exact"
    assert decision.p_fail == 0.0 and math.isinf(decision.e_fail)


def test_the_benchmark_target_keeps_an_exact_tie_at_the_margin_undecided() -> None:
    n = 200
    rule = SequentialRule(0.05, n, target=Target.BENCHMARK, population_n=n)
    d = np.zeros(n)
    d[:10] = -1.0  # exactly -0.05

    decision = rule.update(d)

    assert decision.state is State.BUDGET and "a tie" in decision.reason


def test_the_benchmark_target_settles_before_n_when_the_rest_cannot_change_the_side() -> None:
    n = 100
    rule = SequentialRule(0.05, n, target=Target.BENCHMARK, population_n=n)
    d = np.concatenate([-np.ones(10), np.zeros(90)])  # the benchmark's Δ is -0.10

    decision = run(rule, d, first_look=1, every=1)

    # after 10 losses and 86 ties the 4 left cannot lift Δ to -0.05 any more
    assert decision.state is State.FAIL and decision.n_used <= 96


def test_a_decided_rule_ignores_later_observations() -> None:
    rule = SequentialRule(0.05, 1000)
    decided = rule.update(-np.ones(64))

    again = rule.update(np.ones(100))

    assert decided.state is State.FAIL and again == decided and rule.n_used == 64


def test_holm_adjusts_each_side_over_the_family() -> None:
    rules = [SequentialRule(0.05, 2000) for _ in range(3)]
    rules[0].observe(stream(0.1, 0.0, 300, seed=6))
    rules[1].observe(stream(0.05, 0.05, 300, seed=7))
    rules[2].observe(stream(0.08, 0.02, 300, seed=8))

    decisions = decide_all(rules)

    raw = [rule.p_values() for rule in rules]
    want_pass = holm({i: p for i, (p, _) in enumerate(raw)})
    want_fail = holm({i: f for i, (_, f) in enumerate(raw)})
    assert [d.p_pass for d in decisions] == [want_pass[i] for i in range(3)]
    assert [d.p_fail for d in decisions] == [want_fail[i] for i in range(3)]


def _just_decided(seed: int) -> tuple[np.ndarray, SequentialRule]:
    """A stream cut where a rule alone first crosses FAIL's threshold, p in (level/2, level]."""
    d = stream(0.12, 0.0, 2000, seed=seed)
    rule = SequentialRule(0.05, 2000)
    for t in range(2000):
        rule.observe(d[t : t + 1])
        if rule.p_values()[1] <= rule.alpha_sequential / 2:
            return d[: t + 1], rule
    raise AssertionError("no crossing")


def test_two_rules_each_barely_decided_alone_stay_open_together() -> None:
    d, alone = _just_decided(seed=9)
    level = alone.alpha_sequential / 2
    assert level / 2 < alone.p_values()[1] <= level
    twins = [SequentialRule(0.05, 2000), SequentialRule(0.05, 2000)]
    for rule in twins:
        rule.observe(d)

    together = decide_all(twins)

    assert decide_all([alone])[0].state is State.FAIL
    assert [x.state for x in together] == [State.CONTINUE, State.CONTINUE]
    strong = SequentialRule(0.05, 2000)
    strong.observe(-np.ones(100))  # with a very strong companion, Holm steps down to it
    assert [x.state for x in decide_all([strong, twins[0]])] == [State.FAIL, State.FAIL]


def test_the_fallback_level_is_bonferroni_over_the_family() -> None:
    rules = [SequentialRule(0.05, 100) for _ in range(2)]
    for rule in rules:
        rule.observe(stream(0.075, 0.025, 100, seed=10))

    decisions = decide_all(rules)

    assert all(d.fallback is not None for d in decisions)
    assert decisions[0].fallback.confidence == pytest.approx(1 - 0.01 / 2)  # type: ignore[union-attr]


def test_clusters_weigh_by_their_samples() -> None:
    rule = SequentialRule(0.05, 10, max_cluster_size=4)

    rule.observe([-1.0, 0.5], sizes=[1, 3])  # items: -1, .5, .5, .5

    decision = decide_all([rule])[0]
    assert decision.estimate == pytest.approx(0.125)
    assert decision.items_used == 4 and decision.n_used == 2


def test_cluster_weighting_keeps_the_false_fail_rate_when_sizes_and_changes_correlate() -> None:
    """Size-1 clusters lose 0.25 on average, size-4 clusters nothing: the item-weighted Δ is
    exactly -m (a FAIL is wrong), the mean of cluster means -0.125 (unweighted, FAIL always)."""
    rng = np.random.Generator(np.random.PCG64(11))
    runs, clusters = 120, 300
    wrong = 0
    for _ in range(runs):
        sizes = rng.choice([1, 4], clusters)
        small = rng.choice([-1.0, 0.0, 1.0], clusters, p=[0.3, 0.65, 0.05])  # mean -0.25
        large = rng.choice([-0.25, 0.0, 0.25], clusters)  # mean 0
        rule = SequentialRule(0.05, clusters, max_cluster_size=4)
        rule.observe(np.where(sizes == 1, small, large), sizes)
        wrong += rule.p_values()[1] <= rule.alpha_sequential / 2
    assert wrong / runs <= 0.02 + 3 * math.sqrt(0.02 * 0.98 / runs)


def test_a_score_span_scales_margin_differences_and_interval() -> None:
    unit = SequentialRule(0.05, 500)
    ten = SequentialRule(0.5, 500, score_span=10.0)
    d = stream(0.05, 0.05, 300, seed=12)

    a, b = unit.update(d), ten.update(d * 10)

    assert (a.state, a.n_used) == (b.state, b.n_used)
    assert (b.low, b.high) == pytest.approx((a.low * 10, a.high * 10))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"margin": 0.0}, "margin"),
        ({"margin": 1.0}, "margin"),
        ({"alpha": 1.5}, "alpha"),
        ({"budget_n": 0}, "budget_n"),
        ({"target": Target.BENCHMARK}, "population_n"),
        ({"target": Target.BENCHMARK, "population_n": 50}, "population_n"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    settings: dict[str, object] = {"margin": 0.05, "budget_n": 100, **kwargs}
    with pytest.raises(ValueError, match=message):
        SequentialRule(**settings)  # type: ignore[arg-type]


def test_bad_observations_are_refused() -> None:
    rule = SequentialRule(0.05, 10, max_cluster_size=2)
    with pytest.raises(ValueError, match="budget"):
        rule.observe(np.zeros(11))
    with pytest.raises(ValueError, match=r"\[-1"):
        rule.observe([1.5])
    with pytest.raises(ValueError, match="sizes"):
        rule.observe([0.0], sizes=[3])
    with pytest.raises(ValueError, match="one size"):
        rule.observe([0.0, 0.0], sizes=[1])
    assert rule.n_used == 0
