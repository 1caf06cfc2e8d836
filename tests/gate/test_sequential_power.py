"""A fast subset of benchmarks/adaptive_power.py: per-side error, the naive control, the targets.

Tolerances: a measured error over R seeded runs may exceed α/2 by three Monte
Carlo standard errors, 3 sqrt(α/2 (1 - α/2) / R) (0.0105 for R = 2000); the seeds
are fixed, so each figure is the same on every run.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from evalspec.gate.sequential import SequentialRule, State, Target, looks
from evalspec.gate.stats import tango_z

REPO = Path(__file__).resolve().parents[2]
SEED = 20261122


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "adaptive_power", REPO / "benchmarks" / "adaptive_power.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["adaptive_power"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("n", "batches"), [(100, (1, 10)), (1319, (1, 131))])
def test_at_the_margin_each_side_errs_at_most_alpha_over_2_while_naive_peeking_does_not(
    bench: ModuleType, n: int, batches: tuple[int, ...]
) -> None:
    runs = 2000
    bound = bench.error_bound(runs)

    cells = bench.run_cells(Target.POPULATION, bench.BOUNDARY, 0.1, n, runs, SEED, batches)

    for cell in cells:
        assert max(cell.errors.values()) <= bound, bench.describe(cell)
        assert max(cell.naive_errors.values()) > bound, bench.describe(cell)


@pytest.mark.parametrize("case", ["BOUNDARY_PASS", "BOUNDARY_FAIL"])
def test_the_benchmark_target_keeps_both_worst_cases_within_alpha_over_2(
    bench: ModuleType, case: str
) -> None:
    runs = 2000
    worst = getattr(bench, case)

    (cell,) = bench.run_cells(Target.BENCHMARK, worst, 0.1, 1319, runs, SEED, (50,))

    assert max(cell.errors.values()) <= bench.error_bound(runs), bench.describe(cell)


def test_the_worst_case_populations_straddle_the_margin(bench: ModuleType) -> None:
    losses, gains = bench.population_counts(bench.BOUNDARY_PASS, 0.1, 1319)
    assert (gains - losses) / 1319 <= -0.05  # a PASS is wrong
    losses, gains = bench.population_counts(bench.BOUNDARY_FAIL, 0.1, 1319)
    assert (gains - losses) / 1319 >= -0.05  # a FAIL is wrong
    losses, gains = bench.population_counts(bench.BOUNDARY_PASS, 0.1, 100)
    assert (gains - losses) / 100 == -0.05  # m N whole: one population, both wrong


def test_clear_cases_at_n_1319_use_at_most_35_percent_and_decide_right_90_percent(
    bench: ModuleType,
) -> None:
    runs = 300
    cells = [
        cell
        for case, q in [(bench.NO_CHANGE, 0.05), (bench.NO_CHANGE, 0.1), (bench.DROP, 0.1)]
        for cell in bench.run_cells(Target.POPULATION, case, q, 1319, runs, SEED)
    ]

    _, share, power = bench.summary(cells)

    assert share <= bench.TARGET_SHARE
    assert power >= bench.TARGET_POWER


def test_infeasible_cells_are_skipped(bench: ModuleType) -> None:
    assert bench.run_cells(Target.POPULATION, bench.DROP, 0.05, 100, 10, SEED) == []


def test_the_vectorised_tango_statistic_is_the_gates(bench: ModuleType) -> None:
    rng = np.random.Generator(np.random.PCG64(1))
    n = rng.integers(1, 400, 200)
    gained = rng.integers(0, n + 1) // 3
    lost = rng.integers(0, n - gained + 1)

    got = bench.tango_z(gained * 1.0, lost * 1.0, n * 1.0, -0.05)

    want = [
        tango_z(int(g), int(lo), int(k), -0.05) for g, lo, k in zip(gained, lost, n, strict=True)
    ]
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("target", list(Target))
@pytest.mark.parametrize("batch", [1, 25])
def test_the_simulation_decides_run_by_run_as_the_rule_itself(
    bench: ModuleType, target: Target, batch: int
) -> None:
    n, runs = 300, 24
    rule = SequentialRule(bench.MARGIN, n, target=target, population_n=n)
    fallback = bench.Fallback(n, 1.0 - rule.alpha_fallback)
    rng = np.random.Generator(np.random.PCG64(2))
    d = np.concatenate(
        [
            bench.draw(Target.POPULATION, case, 0.2, None, runs // 3, n, rng)
            for case in (bench.NO_CHANGE, bench.BOUNDARY, bench.DROP)
        ]
    )

    decision, used, _, _ = bench.simulate(d, rule, (batch,), fallback)[batch]

    words = {bench.PASS: State.PASS, bench.FAIL: State.FAIL, bench.UNDECIDED: State.BUDGET}
    for run in range(runs):
        engine = SequentialRule(bench.MARGIN, n, target=target, population_n=n)
        seen = 0
        for point in looks(n, batch, batch):
            got = engine.update(d[run, seen:point].astype(np.float64))
            seen = point
            if got.final:
                break
        assert (got.state, got.n_used) == (words[int(decision[run])], int(used[run])), run
