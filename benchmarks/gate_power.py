"""Size and power of the gate's non-inferiority rule, simulated through `evaluate` itself.

Each trial draws a synthetic baseline and candidate on the same samples, builds
a baseline with `baseline_from_results` and gates the candidate with one rule
`max_drop: MARGIN` at confidence 0.95; the verdict counts are the figures.

- binary outcomes: baseline pass rate P_BASE; each baseline pass fails in the
  candidate with probability lost / P_BASE, each baseline fail passes with
  probability gained / (1 - P_BASE), so the true change is gained - lost;
- clustered binary outcomes: the same, decided per cluster of CLUSTER samples
  (a cluster is lost or gained as a whole: questions on one passage move
  together); "clusters withheld" gates the same data without the cluster ids,
  as the gate did before it tested clusters (exact McNemar);
- changed sample sets: the candidate's first `replaced` samples are new ids,
  drawn like the others, so only n - replaced are paired;
- continuous scores: the candidate is baseline + change + N(0, NOISE²).

    .venv/bin/python benchmarks/gate_power.py [--trials 2000]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from evalspec.gate import Status, baseline_from_results, evaluate
from evalspec.scoring.metrics import aggregate
from evalspec.scoring.results import UnitResult
from evalspec.spec.thresholds import ThresholdRule, Thresholds

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
MARGIN = 0.05
P_BASE = 0.80
NOISE = 0.20
CLUSTER = 10  # samples per cluster in the clustered scenarios


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str  # "binary" | "continuous"
    n: int
    lost: float = 0.0  # binary: P(baseline pass, candidate fail)
    gained: float = 0.0  # binary: P(baseline fail, candidate pass)
    change: float = 0.0  # continuous: true mean change
    clustered: bool = False  # binary: changes decided per cluster of CLUSTER samples
    withhold_clusters: bool = False  # gate clustered data without its cluster ids
    replaced: int = 0  # candidate samples with new ids (not in the baseline)

    @property
    def true_change(self) -> float:
        return self.gained - self.lost if self.kind == "binary" else self.change


# no change, with the churn (samples flipping both ways) real fine-tunes show
NO_CHANGE = Scenario("no change, binary", "binary", 200, lost=0.05, gained=0.05)
NO_CHANGE_CONTINUOUS = Scenario("no change, continuous", "continuous", 200)
# a true drop of exactly the margin: a PASS here would be a false PASS
AT_MARGIN = Scenario("drop = margin, binary", "binary", 200, lost=0.075, gained=0.025)
AT_MARGIN_CONTINUOUS = Scenario("drop = margin, continuous", "continuous", 200, change=-MARGIN)
# a true drop of twice the margin
DROP = Scenario("drop = 2 x margin, binary", "binary", 500, lost=0.105, gained=0.005)
DROP_CONTINUOUS = Scenario("drop = 2 x margin, continuous", "continuous", 500, change=-2 * MARGIN)
# clusters of 10 that move together: the test must count clusters, not samples
AT_MARGIN_CLUSTERED = Scenario(
    "drop = margin, clustered", "binary", 200, lost=0.075, gained=0.025, clustered=True
)
AT_MARGIN_CLUSTERS_WITHHELD = Scenario(
    "  same, clusters withheld",
    "binary",
    200,
    lost=0.075,
    gained=0.025,
    clustered=True,
    withhold_clusters=True,
)
DROP_CLUSTERED = Scenario(
    "drop = 2 x margin, clustered", "binary", 1000, lost=0.105, gained=0.005, clustered=True
)
# a quarter of the candidate's samples are new ids
NO_CHANGE_CHURN = Scenario(
    "no change, 50 new ids", "binary", 200, lost=0.05, gained=0.05, replaced=50
)
AT_MARGIN_CHURN = Scenario(
    "drop = margin, 50 new ids", "binary", 200, lost=0.075, gained=0.025, replaced=50
)


@dataclass(frozen=True)
class Trial:
    """One synthetic comparison: per-sample outcomes by sample id, and the clusters."""

    before: dict[str, float]
    after: dict[str, float]
    clusters: dict[str, str]


def _unit(outcomes: dict[str, float], clusters: dict[str, str]) -> UnitResult:
    values = list(outcomes.values())
    return UnitResult(
        unit_id="sim/task",
        unit_hash="h",
        model="sim",
        adapter=None,
        task="task",
        metrics={"score": aggregate("score", values)},
        outcomes=dict(outcomes),
        clusters=clusters,
    )


def draw(scenario: Scenario, rng: np.random.Generator) -> Trial:
    """Baseline and candidate per-sample outcomes of one trial."""
    n = scenario.n
    ids = [f"s{i:04d}" for i in range(n)]
    if scenario.kind == "continuous":
        before = np.round(rng.beta(2, 2, n), 6)
        after = np.round(before + scenario.change + rng.normal(0.0, NOISE, n), 6)
        return Trial(_by_id(ids, before), _by_id(ids, after), {})
    before, after = _binary(scenario, rng, n)
    # the replaced samples: new ids, with outcomes of a fresh draw
    new_ids = [f"n{i:04d}" for i in range(scenario.replaced)]
    _, fresh = _binary(scenario, rng, scenario.replaced)
    current = {**_by_id(new_ids, fresh), **_by_id(ids, after)}
    for sid in ids[: scenario.replaced]:
        del current[sid]
    clusters: dict[str, str] = {}
    if scenario.clustered and not scenario.withhold_clusters:
        clusters = {sid: f"c{i // CLUSTER}" for i, sid in enumerate(ids)}
    return Trial(_by_id(ids, before), current, clusters)


def _binary(scenario: Scenario, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    before = (rng.random(n) < P_BASE).astype(np.float64)
    if scenario.clustered:  # one draw per cluster, shared by its samples
        flip = np.repeat(rng.random(-(-n // CLUSTER)), CLUSTER)[:n]
    else:
        flip = rng.random(n)
    lose = (before == 1.0) & (flip < scenario.lost / P_BASE)
    gain = (before == 0.0) & (flip < scenario.gained / (1 - P_BASE))
    return before, np.where(lose, 0.0, np.where(gain, 1.0, before))


def _by_id(ids: list[str], values: np.ndarray) -> dict[str, float]:
    return {sid: float(v) for sid, v in zip(ids, values, strict=True)}


def verdict(trial: Trial, margin: float = MARGIN) -> Status:
    """The gate's status for one synthetic comparison."""
    baseline = baseline_from_results("sim", "R0", None, [_unit(trial.before, trial.clusters)])
    thresholds = Thresholds(
        version=1, confidence=CONFIDENCE, rules=[ThresholdRule(max_drop=margin)]
    )
    (row,) = evaluate([_unit(trial.after, trial.clusters)], thresholds, baseline).rows
    return row.status


def rates(scenario: Scenario, trials: int, seed: int = 20261122) -> dict[Status, float]:
    """Fraction of trials per verdict."""
    rng = np.random.Generator(np.random.PCG64(seed))
    counts = Counter(verdict(draw(scenario, rng)) for _ in range(trials))
    return {status: counts[status] / trials for status in (Status.PASS, Status.WARN, Status.FAIL)}


def binomial_slack(rate: float, trials: int) -> float:
    """Three binomial standard errors: how far a measured rate may exceed a true one."""
    return float(3 * np.sqrt(rate * (1 - rate) / trials))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    args = parser.parse_args()
    print(f"margin {MARGIN}, confidence {CONFIDENCE}, {args.trials} seeded trials per scenario")
    print(f"{'scenario':32} {'n':>4} {'true Δ':>7} {'PASS':>6} {'WARN':>6} {'FAIL':>6}  s")
    scenarios = (
        NO_CHANGE,
        NO_CHANGE_CONTINUOUS,
        AT_MARGIN,
        AT_MARGIN_CONTINUOUS,
        DROP,
        DROP_CONTINUOUS,
        AT_MARGIN_CLUSTERED,
        AT_MARGIN_CLUSTERS_WITHHELD,
        DROP_CLUSTERED,
        NO_CHANGE_CHURN,
        AT_MARGIN_CHURN,
    )
    results: dict[Scenario, dict[Status, float]] = {}
    for scenario in scenarios:
        start = time.perf_counter()
        got = results[scenario] = rates(scenario, args.trials)
        took = time.perf_counter() - start
        print(
            f"{scenario.name:32} {scenario.n:>4} {scenario.true_change:>+7.3f} "
            f"{got[Status.PASS]:>6.3f} {got[Status.WARN]:>6.3f} {got[Status.FAIL]:>6.3f}  "
            f"{took:.1f}"
        )
    false_fail = results[NO_CHANGE][Status.FAIL]
    power = results[DROP][Status.FAIL]
    clustered = results[AT_MARGIN_CLUSTERED][Status.FAIL]
    withheld = results[AT_MARGIN_CLUSTERS_WITHHELD][Status.FAIL]
    print(f"false-fail rate, no true change, n=200: {false_fail:.4f} (alpha {ALPHA:.2f})")
    print(f"power, true drop 2 x margin, n=500:     {power:.4f} (target >= 0.90)")
    print(
        f"false-fail rate at the margin, clusters of {CLUSTER}, n=200: {clustered:.4f} "
        f"(alpha/2 {ALPHA / 2:.3f}; clusters withheld: {withheld:.4f})"
    )
    print(
        f"power, true drop 2 x margin, clusters of {CLUSTER}, n=1000: "
        f"{results[DROP_CLUSTERED][Status.FAIL]:.4f}"
    )
    print(
        "false-fail rate, no true change, 50 of 200 ids new: "
        f"{results[NO_CHANGE_CHURN][Status.FAIL]:.4f} (alpha {ALPHA:.2f})"
    )


if __name__ == "__main__":
    main()
