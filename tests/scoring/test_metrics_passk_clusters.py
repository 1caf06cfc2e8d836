"""pass@k (Chen et al. 2021), cluster-robust standard errors and per-tag slices."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

import pytest

from evalspec.scoring.metrics import aggregate, pass_at_k, slices

# ---------------------------------------------------------------------------- pass@k


def _brute_force(n: int, c: int, k: int) -> float:
    """1 − C(n−c, k) / C(n, k) (math.comb is 0 when k > n − c)."""
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _by_enumeration(n: int, c: int, k: int) -> float:
    """The probability that a uniformly drawn k-subset of n attempts holds a passing one."""
    attempts = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    hits = sum(1 for subset in subsets if any(attempts[i] for i in subset))
    return hits / len(subsets)


@pytest.mark.parametrize("n", range(1, 16))
def test_pass_at_k_matches_the_binomial_formula_for_every_c_and_k(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(_brute_force(n, c, k), abs=1e-12), (n, c, k)


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_is_the_chance_a_random_k_subset_holds_a_pass(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(_by_enumeration(n, c, k), abs=1e-12)


@pytest.mark.parametrize(("n", "c", "k"), [(200, 3, 100), (200, 1, 1), (150, 7, 10), (100, 50, 50)])
def test_pass_at_k_for_large_n_matches_exact_rational_arithmetic(n: int, c: int, k: int) -> None:
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    assert pass_at_k(n, c, k) == pytest.approx(float(exact), rel=1e-12, abs=1e-15)


def test_pass_at_1_is_the_pass_rate() -> None:
    for n in range(1, 30):
        for c in range(n + 1):
            assert pass_at_k(n, c, 1) == pytest.approx(c / n, abs=1e-12)


def test_no_passes_gives_zero() -> None:
    for n in range(1, 20):
        for k in range(1, n + 1):
            assert pass_at_k(n, 0, k) == 0.0


def test_all_passes_gives_one() -> None:
    for n in range(1, 20):
        for k in range(1, n + 1):
            assert pass_at_k(n, n, k) == 1.0


@pytest.mark.parametrize(("n", "c", "k"), [(5, 3, 3), (5, 4, 2), (10, 8, 5), (4, 1, 4)])
def test_fewer_failures_than_k_gives_exactly_one(n: int, c: int, k: int) -> None:
    assert n - c < k
    assert pass_at_k(n, c, k) == 1.0


def test_pass_at_k_grows_with_k() -> None:
    n, c = 12, 3
    values = [pass_at_k(n, c, k) for k in range(1, n + 1)]
    assert values == sorted(values)


@pytest.mark.parametrize(
    ("n", "c", "k"),
    [
        (5, -1, 1),  # negative passes
        (5, 6, 1),  # more passes than samples
        (5, 2, 0),  # k below 1
        (5, 2, 6),  # k above n
        (0, 0, 1),  # no samples at all
        (3, 1, -2),
    ],
)
def test_invalid_arguments_raise(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError, match=r"pass@"):
        pass_at_k(n, c, k)


# ---------------------------------------------------------------------- standard errors


def _clustered_by_hand(values: Sequence[float], clusters: Sequence[str]) -> float:
    """sqrt(G/(G−1) · Σ_g (Σ_{i∈g} (x_i − mean))²) / n, written out independently."""
    n = len(values)
    mean = sum(values) / n
    groups: dict[str, list[float]] = {}
    for value, cluster in zip(values, clusters, strict=True):
        groups.setdefault(cluster, []).append(value - mean)
    g = len(groups)
    spread = sum(sum(residuals) ** 2 for residuals in groups.values())
    return math.sqrt(g / (g - 1) * spread) / n


def _clt(values: Sequence[float]) -> float:
    n = len(values)
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)


def test_aggregate_without_clusters_is_the_clt_standard_error() -> None:
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.5]
    metric = aggregate("m", values)
    assert metric.value == pytest.approx(sum(values) / len(values))
    assert metric.stderr == pytest.approx(_clt(values))
    assert metric.n == len(values)


def test_all_none_clusters_are_the_unclustered_estimator() -> None:
    values = [1.0, 0.0, 1.0, 0.25]
    assert aggregate("m", values, [None] * 4).stderr == pytest.approx(_clt(values))
    assert aggregate("m", [0.5], [None]).stderr == 0.0


def test_clustered_stderr_matches_a_hand_computation() -> None:
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.5, 0.0]
    clusters = ["a", "a", "b", "b", "b", "c", "d", "d", "e"]
    metric = aggregate("acc", values, clusters)
    assert metric.value == pytest.approx(sum(values) / len(values))
    assert metric.n == len(values)
    assert metric.stderr == pytest.approx(_clustered_by_hand(values, clusters))


def test_clustered_stderr_of_a_tiny_case_computed_by_hand() -> None:
    # mean 0.5; cluster sums of residuals: a: 0.5 + 0.5 = 1, b: -0.5 - 0.5 = -1, G = 2
    # stderr = sqrt(2/1 · (1 + 1)) / 4 = 2 / 4
    metric = aggregate("acc", [1.0, 1.0, 0.0, 0.0], ["a", "a", "b", "b"])
    assert metric.stderr == pytest.approx(0.5)


def test_singleton_clusters_give_the_formula_and_equal_the_clt_estimator() -> None:
    values = [1.0, 0.0, 0.0, 1.0, 1.0, 0.75, 0.0]
    n = len(values)
    mean = sum(values) / n
    metric = aggregate("m", values, [f"q{i}" for i in range(n)])
    expected = math.sqrt(n / (n - 1)) * math.sqrt(sum((v - mean) ** 2 for v in values)) / n
    assert metric.stderr == pytest.approx(expected)
    # algebraically the same as sqrt(s² / n) with the n−1 sample variance
    assert metric.stderr == pytest.approx(_clt(values))


def test_samples_without_a_cluster_are_their_own_group() -> None:
    values = [1.0, 1.0, 0.0, 1.0, 0.0]
    clusters = ["p", "p", None, None, "q"]
    metric = aggregate("m", values, clusters)
    as_singletons = ["p", "p", "_own_2", "_own_3", "q"]
    assert metric.stderr == pytest.approx(_clustered_by_hand(values, as_singletons))


def test_clustering_perfectly_correlated_pairs_widens_the_error_bar() -> None:
    # each passage's two questions always agree: 8 distinct outcomes, not 16
    per_passage = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0]
    values = [v for v in per_passage for _ in range(2)]
    clusters = [f"passage{i}" for i in range(len(per_passage)) for _ in range(2)]
    independent = aggregate("m", values)
    clustered = aggregate("m", values, clusters)
    assert clustered.value == independent.value
    assert clustered.stderr > independent.stderr
    assert clustered.stderr == pytest.approx(_clustered_by_hand(values, clusters))
    # the pairs' sums are twice each passage's residual: the clustered error is the
    # singleton-cluster error of the 8 passages (n halves, residual sums double)
    assert clustered.stderr == pytest.approx(_clt(per_passage))


def test_a_single_cluster_has_zero_stderr() -> None:
    assert aggregate("m", [1.0, 0.0, 1.0], ["x", "x", "x"]).stderr == 0.0


def test_cluster_count_must_match_values() -> None:
    with pytest.raises(ValueError, match="clusters"):
        aggregate("m", [1.0, 0.0], ["a"])


def test_higher_is_better_is_carried() -> None:
    assert aggregate("m", [1.0, 2.0], higher_is_better=False).higher_is_better is False


# ------------------------------------------------------------------------------ slices


def test_slices_group_by_key_value_with_sorted_labels() -> None:
    tags = [
        {"subject": "math", "level": "2"},
        {"subject": "bio"},
        {"subject": "math", "level": "1"},
        {"level": "2"},
        {},
    ]
    per_metric: dict[str, Sequence[float | None]] = {
        "acc": [1.0, 0.0, 0.0, 1.0, 1.0],
        "f1": [0.5, 0.25, 1.0, 0.75, 0.0],
    }
    out = slices(tags, per_metric, [None] * 5)
    assert list(out) == ["level=1", "level=2", "subject=bio", "subject=math"]
    assert list(out) == sorted(out)
    math_acc = out["subject=math"]["acc"]
    assert (math_acc.value, math_acc.n) == (0.5, 2)
    assert math_acc.stderr == pytest.approx(_clt([1.0, 0.0]))
    assert out["subject=math"]["f1"].value == pytest.approx(0.75)
    assert out["level=2"]["acc"].value == 1.0
    assert out["level=2"]["f1"].value == pytest.approx(0.625)
    assert out["subject=bio"]["acc"].n == 1
    assert out["subject=bio"]["acc"].stderr == 0.0


def test_slices_skip_none_values_and_drop_labels_left_empty() -> None:
    tags = [{"t": "a"}, {"t": "a"}, {"t": "b"}, {"t": "c"}]
    per_metric: dict[str, Sequence[float | None]] = {
        "acc": [1.0, None, 0.0, None],
        "schema_valid": [None, None, 1.0, None],
    }
    out = slices(tags, per_metric, [None] * 4)
    assert list(out) == ["t=a", "t=b"]  # t=c has no value for any metric
    assert out["t=a"]["acc"].n == 1
    assert out["t=a"]["acc"].value == 1.0
    assert "schema_valid" not in out["t=a"]
    assert set(out["t=b"]) == {"acc", "schema_valid"}


def test_slices_use_the_samples_clusters() -> None:
    tags = [{"d": "x"}] * 6
    values: list[float | None] = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    clusters = ["p1", "p1", "p2", "p2", "p3", "p3"]
    out = slices(tags, {"acc": values}, clusters)
    expected = _clustered_by_hand([1.0, 1.0, 0.0, 0.0, 1.0, 0.0], clusters)
    assert out["d=x"]["acc"].stderr == pytest.approx(expected)


def test_slices_carry_higher_is_better() -> None:
    out = slices([{"k": "v"}], {"loss": [0.3], "acc": [1.0]}, [None], {"loss": False})
    assert out["k=v"]["loss"].higher_is_better is False
    assert out["k=v"]["acc"].higher_is_better is True


def test_no_tags_gives_no_slices() -> None:
    assert slices([{}, {}], {"acc": [1.0, 0.0]}, [None, None]) == {}


def test_pooled_values_average_to_the_weighted_mean() -> None:
    from evalspec.scoring.metrics import pooled

    values, weights = [1.0, 1 / 3, 0.5], [1.0, 3.0, 2.0]
    scaled = pooled(values, weights)
    expected = sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)
    assert sum(scaled) / len(scaled) == pytest.approx(expected)
    assert pooled([0.25, 0.75], [2.0, 2.0]) == [0.25, 0.75]  # equal weights: unchanged
    with pytest.raises(ValueError):
        pooled([1.0], [1.0, 2.0])
