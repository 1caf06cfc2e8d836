"""Adaptive gate: per-side error, power and share of N used of the sequential rule, simulated.

Each run streams N paired binary outcomes through the engine of
`evalspec.gate.sequential` (its betting e-processes, thresholds and fixed-n
fallback, vectorised across runs) with margin m = 0.05 at confidence 0.95, and
looks after every `batch` pairs; the first look that decides stops the run.

Cells: Δ ∈ {0, -m, -2m} × discordance q ∈ {0.05, 0.1, 0.3} × N ∈ {100, 1319, 14042}
× batch ∈ {1, 50, N/10}, for both targets. Discordance is the share of pairs whose
outcomes differ; Δ is set by how they split: a pair goes pass -> fail (d = -1)
with probability (q - Δ)/2 and fail -> pass (d = +1) with (q + Δ)/2, so
E[d] = Δ and P(d ≠ 0) = q (cells with q < |Δ| cannot exist and are skipped).

- target "population" (the default): the pairs are i.i.d.; the errors are against
  Δ. Δ = -m is both sides' worst case: it lies in H_pass: "Δ ≤ -m" (a PASS is a
  false PASS) and in H_fail: "Δ ≥ -m" (a FAIL is a false FAIL), and the rejection
  probability of each side grows toward the boundary.
- target "benchmark": a fixed population of N pairs, exactly L pass -> fail and G
  fail -> pass (L - G = round(-Δ N), L + G ≈ q N) in a fresh random order per run;
  the errors are against the population's mean μ_N = (G - L) / N. Δ = -m gives the
  two worst cases: "-m/PASS" with L - G = ceil(m N), the largest μ_N ≤ -m (a PASS is
  wrong), and "-m/FAIL" with L - G = floor(m N), the smallest μ_N ≥ -m (a FAIL is
  wrong); one population when m N is whole (μ_N = -m: both are wrong).

A side's error must stay within α/2 + 3 Monte Carlo standard errors,
α/2 + 3 sqrt(α/2 (1 - α/2) / runs). The negative control peeks naively: at each
look the fixed-n 95% Tango interval of the pairs so far, PASS when low ≥ -m, FAIL
when high < -m. Clear cases: N = 1319, q ≤ 0.1, Δ ∈ {0, -2m}, all batches.

    .venv/bin/python benchmarks/adaptive_power.py [--runs 10000] [--quick] [--target population]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import time
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from evalspec.gate.sequential import DEFAULT_SEQUENTIAL_SHARE, SequentialRule, Target
from evalspec.gate.sequential.betting import Wealth, advance
from evalspec.gate.sequential.fallback import binary_interval, margin_verdict

ALPHA = 0.05
MARGIN = 0.05
DISCORDANCES = (0.05, 0.1, 0.3)
SIZES = (100, 1319, 14042)
CLEAR_N = 1319
CLEAR_MAX_DISCORDANCE = 0.1
TARGET_SHARE = 0.35
TARGET_POWER = 0.90
CHUNK = 2_000_000  # runs x pairs simulated at once
PASS, FAIL, UNDECIDED = 1, -1, 0
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Case:
    """One true state: Δ in margins, and which decisions are errors there."""

    label: str
    margins: int  # Δ = -margins · m
    wrong: tuple[int, ...]  # PASS and/or FAIL
    rounding: str = "round"  # benchmark target: how L - G = Δ N is rounded (ceil, floor)


NO_CHANGE = Case("0", 0, (FAIL,))
BOUNDARY = Case("-m", 1, (PASS, FAIL))
BOUNDARY_PASS = Case("-m/PASS", 1, (PASS,), "ceil")
BOUNDARY_FAIL = Case("-m/FAIL", 1, (FAIL,), "floor")
DROP = Case("-2m", 2, (PASS,))


@dataclass(frozen=True)
class Cell:
    target: Target
    case: Case
    discordance: float
    n: int
    batch: int
    runs: int
    losses: int | None  # benchmark target: the population's counts
    gains: int | None
    passed: float  # share of runs decided PASS
    failed: float
    share: float  # mean units used / N
    naive_passed: float
    naive_failed: float
    fixed_passed: float  # the fixed-n 95% interval rule on all N pairs, no peeking
    fixed_failed: float

    @property
    def errors(self) -> dict[int, float]:
        """Error rate per wrong side."""
        return {side: self.passed if side == PASS else self.failed for side in self.case.wrong}

    @property
    def naive_errors(self) -> dict[int, float]:
        rates = {PASS: self.naive_passed, FAIL: self.naive_failed}
        return {side: rates[side] for side in self.case.wrong}

    @property
    def power(self) -> float | None:
        """Share of correct decisions where one is correct (Δ = 0: PASS, Δ = -2m: FAIL)."""
        return {0: self.passed, 2: self.failed}.get(self.case.margins)

    @property
    def fixed_power(self) -> float | None:
        return {0: self.fixed_passed, 2: self.fixed_failed}.get(self.case.margins)


def error_bound(runs: int, alpha: float = ALPHA) -> float:
    """α/2 plus three Monte Carlo standard errors of a rate α/2 over ``runs`` runs."""
    half = alpha / 2
    return half + 3 * math.sqrt(half * (1 - half) / runs)


def tango_z(gained: FloatArray, lost: FloatArray, n: FloatArray, delta0: float) -> FloatArray:
    """Tango's score statistic (evalspec.gate.stats.tango_z), vectorised."""
    a = 2.0 * n
    b = -gained - lost + (2.0 * n - gained + lost) * delta0
    c = -lost * delta0 * (1.0 - delta0)
    p_lost = (np.sqrt(np.maximum(b * b - 4.0 * a * c, 0.0)) - b) / (2.0 * a)
    numerator = gained - lost - n * delta0
    variance = n * (2.0 * p_lost + delta0 * (1.0 - delta0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance > 0.0, numerator / np.sqrt(variance), np.copysign(np.inf, numerator))
    return np.where(np.abs(numerator) < 1e-12, 0.0, z)


def population_counts(case: Case, discordance: float, n: int) -> tuple[int, int]:
    """(losses, gains) of the benchmark target's population (q >= |Δ|)."""
    exact = round(case.margins * MARGIN * n, 9)
    net = {"round": round, "ceil": math.ceil, "floor": math.floor}[case.rounding](exact)
    discordant = max(round(discordance * n), net)
    discordant += (discordant - net) % 2  # L + G and L - G have the same parity
    return (discordant + net) // 2, (discordant - net) // 2


def draw(
    target: Target,
    case: Case,
    discordance: float,
    counts: tuple[int, int] | None,
    runs: int,
    n: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.int8]:
    """Per-pair differences d ∈ {-1, 0, 1} of ``runs`` runs, in observation order."""
    if target is Target.POPULATION:
        delta = -case.margins * MARGIN
        lost, gained = (discordance - delta) / 2, (discordance + delta) / 2
        u = rng.random((runs, n))
        return np.where(u < lost, -1, np.where(u < lost + gained, 1, 0)).astype(np.int8)
    assert counts is not None
    losses, gains = counts
    population = np.zeros(n, np.int8)
    population[:losses] = -1
    population[losses : losses + gains] = 1
    return rng.permuted(np.broadcast_to(population, (runs, n)), axis=1)


def first_crossing(reached: npt.NDArray[np.bool_]) -> IntArray:
    """1-based index of the first True per row (n + 1 when none)."""
    n = reached.shape[1]
    return np.where(reached.any(axis=1), reached.argmax(axis=1) + 1, n + 1).astype(np.int64)


def look_at(t: IntArray, batch: int, n: int) -> IntArray:
    """The look at which an event after observation t is seen (n + 1: never)."""
    looked = np.minimum(-(-t // batch) * batch, n)
    return np.where(t <= n, looked, n + 1)


class Fallback:
    """The rule's fixed-n verdict at the budget from (gained, lost) counts, memoised."""

    def __init__(self, n: int, confidence: float) -> None:
        self.n, self.confidence = n, confidence
        self.memo: dict[tuple[int, int], int] = {}

    def __call__(self, gained: IntArray, lost: IntArray) -> IntArray:
        pairs = np.stack([gained, lost], axis=1)
        unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
        verdicts = np.array([self.verdict(int(g), int(lo)) for g, lo in unique], np.int64)
        return verdicts[inverse.reshape(-1)]

    def verdict(self, gained: int, lost: int) -> int:
        if (gained, lost) not in self.memo:
            fixed = binary_interval(gained, lost, self.n, self.confidence)
            word = margin_verdict(fixed.low, fixed.high, MARGIN)
            self.memo[gained, lost] = {"PASS": PASS, "FAIL": FAIL, "WARN": UNDECIDED}[word]
        return self.memo[gained, lost]


def simulate(
    d: npt.NDArray[np.int8], rule: SequentialRule, batches: tuple[int, ...], fallback: Fallback
) -> dict[int, tuple[IntArray, IntArray, IntArray, IntArray]]:
    """Per batch, of each run: the decision, units used, the naive peeker's and fixed-n decision."""
    runs, n = d.shape
    y = d.astype(np.float64) + MARGIN  # Y_j = d_j - (-m), unit weight (no clusters)
    path = advance(Wealth.start((runs,)), y, -(1.0 - MARGIN), 1.0 + MARGIN, rule.population_n)
    limit = math.log(rule.threshold)
    up, down = first_crossing(path.max_up >= limit), first_crossing(path.max_down >= limit)
    rows = np.arange(runs)
    at_budget = np.zeros(runs, np.int64)  # undecided after all N (benchmark target): a tie
    open_ = (up > n) & (down > n)
    if not rule.exact_at_budget and rule.alpha_fallback > 0 and open_.any():
        rest = d[open_]
        at_budget[open_] = fallback(
            np.count_nonzero(rest == 1, axis=1), np.count_nonzero(rest == -1, axis=1)
        )
    gained = np.cumsum(d == 1, axis=1, dtype=np.int64)
    lost = np.cumsum(d == -1, axis=1, dtype=np.int64)
    z_limit = NormalDist().inv_cdf(1 - ALPHA / 2)
    out = {}
    for batch in batches:
        up_look, down_look = look_at(up, batch, n), look_at(down, batch, n)
        look = np.minimum(up_look, down_look)
        seen = np.minimum(look, n) - 1
        # both sides over the line at the same look: the smaller p-value (larger wealth) wins
        fail_wins = path.max_down[rows, seen] >= path.max_up[rows, seen]
        decided = np.where((down_look < up_look) | ((down_look == up_look) & fail_wins), FAIL, PASS)
        decision = np.where(look <= n, decided, at_budget)
        used = np.minimum(look, n)
        points = np.unique(np.append(np.arange(batch, n + 1, batch), n)) - 1
        z = tango_z(gained[:, points], lost[:, points], points + 1.0, -MARGIN)
        naive = np.where(z >= z_limit, PASS, np.where(z < -z_limit, FAIL, UNDECIDED))
        stop = first_crossing(naive != UNDECIDED)
        stop_at = np.minimum(stop, points.size) - 1
        out[batch] = (decision, used, naive[rows, stop_at], naive[:, -1])
    return out


def cell_seed(seed: int, *parts: object) -> np.random.Generator:
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:8], "little")))


def run_cells(
    target: Target,
    case: Case,
    discordance: float,
    n: int,
    runs: int,
    seed: int,
    batches: tuple[int, ...] | None = None,
    share: float = DEFAULT_SEQUENTIAL_SHARE,
) -> list[Cell]:
    """The cells of one (target, Δ, q, N) for each batch (default 1, 50, N/10); [] if infeasible."""
    batches = batches or (1, 50, max(1, n // 10))
    if discordance < case.margins * MARGIN - 1e-12:
        return []  # fewer discordant pairs than the drop needs
    counts = population_counts(case, discordance, n) if target is Target.BENCHMARK else None
    rule = SequentialRule(
        MARGIN, n, alpha=ALPHA, sequential_share=share, target=target, population_n=n
    )
    fallback = Fallback(n, 1.0 - rule.alpha_fallback)
    rng = cell_seed(seed, str(target), case.label, discordance, n)
    tallies = {b: np.zeros(7, np.float64) for b in batches}
    per_chunk = max(1, CHUNK // n)
    for start in range(0, runs, per_chunk):
        chunk = min(per_chunk, runs - start)
        d = draw(target, case, discordance, counts, chunk, n, rng)
        for batch, (decision, used, naive, fixed) in simulate(d, rule, batches, fallback).items():
            tallies[batch] += [
                np.count_nonzero(decision == PASS),
                np.count_nonzero(decision == FAIL),
                used.sum(),
                np.count_nonzero(naive == PASS),
                np.count_nonzero(naive == FAIL),
                np.count_nonzero(fixed == PASS),
                np.count_nonzero(fixed == FAIL),
            ]
    losses, gains = counts if counts is not None else (None, None)
    return [
        Cell(
            target,
            case,
            discordance,
            n,
            batch,
            runs,
            losses,
            gains,
            passed=t[0] / runs,
            failed=t[1] / runs,
            share=t[2] / (runs * n),
            naive_passed=t[3] / runs,
            naive_failed=t[4] / runs,
            fixed_passed=t[5] / runs,
            fixed_failed=t[6] / runs,
        )
        for batch, t in tallies.items()
    ]


def cases(target: Target) -> tuple[Case, ...]:
    if target is Target.POPULATION:
        return (NO_CHANGE, BOUNDARY, DROP)
    return (NO_CHANGE, BOUNDARY_PASS, BOUNDARY_FAIL, DROP)


def clear(cells: list[Cell]) -> list[Cell]:
    return [
        c
        for c in cells
        if c.n == CLEAR_N and c.discordance <= CLEAR_MAX_DISCORDANCE and c.power is not None
    ]


def summary(cells: list[Cell]) -> tuple[float, float, float]:
    """(max per-side error, mean share of N used at clear cases, least power at clear cases)."""
    worst = max(e for c in cells for e in c.errors.values())
    chosen = clear(cells)
    share = float(np.mean([c.share for c in chosen])) if chosen else math.nan
    power = min((c.power for c in chosen if c.power is not None), default=math.nan)
    return worst, share, power


def describe(cell: Cell) -> str:
    power = (
        ""
        if cell.power is None
        else f" power={cell.power:.4f} fixed_n_power={cell.fixed_power:.4f}"
    )
    errors = " ".join(
        f"error_{'pass' if s == PASS else 'fail'}={e:.4f}" for s, e in cell.errors.items()
    )
    naive = " ".join(
        f"naive_{'pass' if s == PASS else 'fail'}={e:.4f}" for s, e in cell.naive_errors.items()
    )
    population = "" if cell.losses is None else f" L={cell.losses} G={cell.gains}"
    return (
        f"target={cell.target} N={cell.n} q={cell.discordance:.2f} delta={cell.case.label:8} "
        f"batch={cell.batch:<5}{population} PASS={cell.passed:.4f} FAIL={cell.failed:.4f} "
        f"share={cell.share:.3f}{power} {errors} {naive}".rstrip()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1000 runs, N in {100, 1319}")
    parser.add_argument("--target", choices=[t.value for t in Target], action="append")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--share",
        type=float,
        default=DEFAULT_SEQUENTIAL_SHARE,
        help="α share of the sequential test",
    )
    parser.add_argument("--sizes", type=int, nargs="+", help="N values (default 100 1319 14042)")
    args = parser.parse_args()
    runs = 1000 if args.quick and args.runs == 10_000 else args.runs
    sizes = args.sizes or (SIZES[:2] if args.quick else SIZES)
    targets = [Target(t) for t in args.target] if args.target else list(Target)
    bound = error_bound(runs)
    print(
        f"margin {MARGIN}, alpha {ALPHA}, sequential share {args.share}, {runs} seeded runs "
        f"per cell; bound {bound:.4f}"
    )
    results: dict[Target, list[Cell]] = {}
    for target in targets:
        cells = results[target] = []
        for n in sizes:
            started = time.perf_counter()
            for q in DISCORDANCES:
                for case in cases(target):
                    for cell in run_cells(target, case, q, n, runs, args.seed, share=args.share):
                        cells.append(cell)
                        print(describe(cell), flush=True)
            print(f"# target={target} N={n}: {time.perf_counter() - started:.0f} s", flush=True)
    for target in reversed(targets):  # the default target's line comes last
        cells = results[target]
        worst, share, power = summary(cells)
        naive_worst = max(e for c in cells for e in c.naive_errors.values())
        boundary = [c for c in cells if c.case.margins == 1]
        exceeding = sum(1 for c in boundary for e in c.naive_errors.values() if e > bound)
        sides = sum(len(c.case.wrong) for c in boundary)
        largest = max(c.share for c in clear(cells)) if clear(cells) else math.nan
        fixed_power = min(
            (c.fixed_power for c in clear(cells) if c.fixed_power is not None), default=math.nan
        )
        ok = worst <= bound and share <= TARGET_SHARE and power >= TARGET_POWER
        print(
            f"naive peeking ({target}): max per-side error {naive_worst:.4f}; "
            f"{exceeding} of {sides} boundary sides above the bound {bound:.4f}"
        )
        print(
            f"clear cases ({target}): largest cell share {largest:.3f}; fixed-n gate on all N "
            f"(no peeking): power {fixed_power:.4f}; "
            f"targets (error <= {bound:.4f}, share <= {TARGET_SHARE}, power >= "
            f"{TARGET_POWER}): {'met' if ok else 'NOT met'}"
        )
        prefix = "adaptive" if target is Target.POPULATION else f"adaptive[{target}]"
        print(
            f"{prefix}: max per-side error {worst:.4f} (alpha/2 {ALPHA / 2}), mean share of N "
            f"used at clear cases {share:.3f}, power {power:.4f}"
        )


if __name__ == "__main__":
    main()
