"""Betting e-processes: the papers' formulas step by step, batch invariance, Ville's bound, WoR."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evalspec.gate.sequential.betting import TRUNCATION, Wealth, advance


def reference(
    ys: list[float], low: float, high: float, population: int | None = None
) -> tuple[float, float]:
    """log K↑_t and log K↓_t by the formulas of betting.py's docstring, one step at a time."""
    total = squares = log_up = log_down = 0.0
    prior = ((high - low) / 2) ** 2
    for i, y in enumerate(ys, start=1):
        mean = total / i  # μ̂_{i-1}
        variance = (prior + squares) / i  # σ̂²_{i-1}
        if population is None:
            center, edge = 0.0, mean
        else:
            center = -total / (population - i + 1)
            edge = population * mean / (population - i + 1)
        kelly = edge / (variance + edge**2)
        up = min(max(kelly, 0.0), TRUNCATION / (center - low)) if center > low else 0.0
        down = min(max(-kelly, 0.0), TRUNCATION / (high - center)) if center < high else 0.0
        log_up += math.log1p(up * (y - center))
        log_down += math.log1p(-down * (y - center))
        total += y
        squares += (y - total / (i + 1)) ** 2
    return log_up, log_down


@pytest.mark.parametrize("population", [None, 60])
def test_the_vectorised_wealth_equals_the_step_by_step_formulas(population: int | None) -> None:
    rng = np.random.Generator(np.random.PCG64(3))
    ys = (rng.choice([-1.0, 0.0, 1.0], size=40, p=[0.1, 0.8, 0.1]) + 0.05).tolist()

    path = advance(Wealth.start(()), np.array(ys), -0.95, 1.05, population)

    want_up, want_down = reference(ys, -0.95, 1.05, population)
    assert path.log_up[-1] == pytest.approx(want_up, abs=1e-12)
    assert path.log_down[-1] == pytest.approx(want_down, abs=1e-12)


@pytest.mark.parametrize("population", [None, 500])
def test_one_batch_gives_the_same_wealth_as_many_small_ones(population: int | None) -> None:
    rng = np.random.Generator(np.random.PCG64(4))
    y = rng.uniform(-0.9, 1.1, size=(5, 300))

    whole = advance(Wealth.start((5,)), y, -0.9, 1.1, population).end
    wealth = Wealth.start((5,))
    for start in range(0, 300, 7):
        wealth = advance(wealth, y[:, start : start + 7], -0.9, 1.1, population).end

    for name in ("total", "squares", "log_up", "log_down", "max_up", "max_down"):
        assert np.allclose(getattr(wealth, name), getattr(whole, name), atol=1e-9), name


def test_a_bet_never_risks_more_than_half_the_wealth_even_at_the_bounds() -> None:
    y = np.array([1.05] * 50 + [-0.95] * 50)  # a run of wins, then the worst outcomes

    path = advance(Wealth.start(()), y, -0.95, 1.05)

    steps = np.diff(np.concatenate([[0.0], path.log_up]))
    assert np.all(steps >= math.log(1 - TRUNCATION) - 1e-12)
    assert path.max_up[-1] == path.log_up[:50].max()  # the running max keeps the peak


def test_wealth_grows_on_its_side_and_not_on_the_other() -> None:
    y = np.full(200, 0.05)  # a candidate identical to the baseline, margin 0.05: Y = d + m = m

    path = advance(Wealth.start(()), y, -0.95, 1.05)

    assert path.max_up[-1] > math.log(100)  # the truncated bet grows it ~2.6% a step
    assert path.max_down[-1] == 0.0  # never bets against its own evidence


@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_ville_at_the_null_the_running_max_reaches_1_over_a_rarely(kind: str) -> None:
    """P(sup K ≥ 20) ≤ 0.05 for a mean exactly 0; 4000 runs, 3 binomial SEs of slack."""
    rng = np.random.Generator(np.random.PCG64(5))
    runs, n, m = 4000, 600, 0.05
    if kind == "binary":  # d ∈ {-1, 0, 1} with mean -m
        u = rng.random((runs, n))
        d = np.where(u < 0.125, -1.0, np.where(u < 0.2, 1.0, 0.0))
    else:  # continuous paired scores in [0, 1] (no clipping needed) with mean difference -m
        base = 0.2 + 0.6 * rng.beta(2, 2, (runs, n))
        cand = base - m + rng.uniform(-0.15, 0.15, (runs, n))
        d = cand - base
    path = advance(Wealth.start((runs,)), d + m, -(1 - m), 1 + m)
    slack = 3 * math.sqrt(0.05 * 0.95 / runs)

    assert np.mean(path.max_up[:, -1] >= math.log(20)) <= 0.05 + slack
    assert np.mean(path.max_down[:, -1] >= math.log(20)) <= 0.05 + slack


def test_without_replacement_the_whole_population_settles_its_side() -> None:
    population = np.array([0.5, -0.2, 0.3, -0.4, 0.1])  # mean 0.06 > 0

    path = advance(Wealth.start(()), population, -1.0, 1.0, population=5)

    assert path.log_up[-1] == math.inf  # "mean ≤ 0" is impossible once all are seen
    assert path.log_down[-1] < math.inf


def test_without_replacement_settles_as_soon_as_the_rest_cannot_change_the_side() -> None:
    y = np.array([1.0, 1.0, 1.0, -1.0, -1.0])  # S_3 = 3 > 2 remaining units at low = -1

    path = advance(Wealth.start(()), y, -1.0, 1.0, population=5)

    assert np.isinf(path.log_up).tolist() == [False, False, True, True, True]


def test_a_population_with_mean_exactly_0_settles_neither_side() -> None:
    y = np.array([0.5, -0.5, 0.25, -0.25])

    path = advance(Wealth.start(()), y, -1.0, 1.0, population=4)

    assert np.isfinite(path.max_up[-1]) and np.isfinite(path.max_down[-1])


def test_more_observations_than_the_population_is_an_error() -> None:
    with pytest.raises(ValueError, match="population of 3"):
        advance(Wealth.start(()), np.zeros(4), -1.0, 1.0, population=3)
