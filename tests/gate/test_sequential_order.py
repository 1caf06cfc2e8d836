"""The seeded observation order and the look schedule of the adaptive gate."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from evalspec.gate.sequential import item_order, looks, order_digest, unit_order

IDS = [f"s{i:03d}" for i in range(200)]


def test_the_order_depends_on_the_seed_not_on_the_order_ids_come_in() -> None:
    first = item_order(IDS, seed=7)

    assert item_order(reversed(IDS), seed=7) == first
    assert sorted(first) == IDS
    assert item_order(IDS, seed=8) != first


def test_the_order_is_a_sha256_ranking_fixed_across_machines() -> None:
    ranked = sorted(IDS, key=lambda s: hashlib.sha256(f"7\0sample:{s}".encode()).digest())

    assert item_order(IDS, seed=7) == ranked


def test_adding_samples_keeps_the_relative_order_of_the_others() -> None:
    before = item_order(IDS[:150], seed=3)

    after = item_order(IDS, seed=3)

    assert [s for s in after if s in set(before)] == before


def test_every_sample_is_equally_likely_first() -> None:
    firsts = Counter(item_order(IDS[:4], seed=seed)[0] for seed in range(4000))

    assert all(900 <= count <= 1100 for count in firsts.values())


def test_clusters_move_together_with_their_samples_sorted() -> None:
    clusters = {"s001": "doc-a", "s000": "doc-a", "s002": "doc-b"}

    units = unit_order(["s002", "s000", "s001", "s003"], seed=1, clusters=clusters)

    assert sorted(units) == [("s000", "s001"), ("s002",), ("s003",)]


def test_the_digest_names_the_order() -> None:
    units = unit_order(IDS, seed=1)

    assert order_digest(units) == order_digest(unit_order(IDS, seed=1))
    assert order_digest(units) != order_digest(unit_order(IDS, seed=2))


def test_looks_start_at_first_look_grow_by_a_quarter_and_end_at_the_budget() -> None:
    assert looks(1319) == [
        64,
        80,
        100,
        125,
        157,
        197,
        247,
        309,
        387,
        484,
        605,
        757,
        947,
        1184,
        1319,
    ]
    assert looks(100, first_look=64, every=50) == [64, 100]
    assert looks(30) == [30]


def test_looks_refuse_empty_settings() -> None:
    with pytest.raises(ValueError):
        looks(0)
    with pytest.raises(ValueError):
        looks(10, every=0)
