"""Adaptive `check` end to end on the in-process engine stand-in: looks, stops, verdicts, reports.

The stand-in answers "ans-<digest>", which never equals an exact_match target, so
every candidate sample scores 0; each test sets the baseline's per-sample outcomes
to make the candidate equal (Δ = 0), broken (Δ = -0.5) or borderline, and checks
what the adaptive run decided, how many samples it used and generated, and what
the run, the baseline file and the reports say. The real engine is covered by
tests/adaptive/test_adaptive_e2e.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_engine import FakeEngines

from evalspec.checking import CheckOutcome, prepare_baseline, run_check
from evalspec.errors import SpecError
from evalspec.gate import GateResult, read_baseline, write_baseline
from evalspec.gate.sequential import ORDER_METHOD, item_order, order_digest, unit_order
from evalspec.runner import LocalExecutor
from evalspec.spec import load_spec
from evalspec.store import Run
from evalspec.store.cache import RESPONSE_CACHE_ENV

N = 300
UNIT = "fake/a"


@dataclass
class World:
    """A spec over N exact_match samples with a max_drop rule, and its baseline from a full run."""

    root: Path
    engines: FakeEngines
    executor: LocalExecutor

    @property
    def spec(self) -> Path:
        return self.root / "spec.yaml"

    @property
    def baseline(self) -> Path:
        return self.root / "base.json"

    def write_spec(self, samples: dict[str, Any], **extra: Any) -> None:
        spec: dict[str, Any] = {
            "version": 1,
            "name": "adapt",
            "models": [{"id": "fake", "source": "builtin:smollm2-135m-instruct"}],
            "tasks": [_task("a")],
            "samples": samples,
            "gate": {"thresholds": "th.yaml", "baseline": "base.json"},
        }
        spec.update(extra)
        self.spec.write_text(yaml.safe_dump(spec, sort_keys=False))

    def rules(self, *rules: dict[str, Any]) -> None:
        (self.root / "th.yaml").write_text(yaml.safe_dump({"version": 1, "rules": list(rules)}))

    def check(self, **options: Any) -> CheckOutcome:
        return run_check(self.spec, runs_dir=self.root / "runs", executor=self.executor, **options)

    def record_baseline(self) -> None:
        update = prepare_baseline(self.spec, runs_dir=self.root / "runs")
        write_baseline(update.path, update.baseline)

    def set_outcomes(
        self, score: Callable[[int], float], higher_is_better: bool = True, unit: str = UNIT
    ) -> None:
        """Rewrite the baseline's per-sample outcomes (sample i scores score(i)), metric as mean."""
        baseline = read_baseline(self.baseline)
        assert baseline is not None
        entry = baseline.units[unit]
        samples = {sid: score(int(sid[1:])) for sid in entry.samples}
        metric = entry.metrics["exact_match"].model_copy(
            update={
                "value": sum(samples.values()) / len(samples),
                "higher_is_better": higher_is_better,
            }
        )
        entry = entry.model_copy(update={"samples": samples, "metrics": {"exact_match": metric}})
        units = {**baseline.units, unit: entry}
        write_baseline(self.baseline, baseline.model_copy(update={"units": units}))


def _task(task_id: str, **fields: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "id": task_id,
        "dataset": {"format": "jsonl", "source": "data.jsonl"},
        "generation": {"max_tokens": 8},
        "scorer": {"type": "exact_match"},
    }
    return task | fields


def _rows(n: int, cluster: int = 1) -> str:
    rows = []
    for i in range(n):
        row: dict[str, Any] = {"id": f"q{i:03d}", "prompt": f"What is {i} + 1?", "target": str(i)}
        if cluster > 1:
            row["cluster"] = f"doc{i // cluster}"
        rows.append(json.dumps(row) + "\n")
    return "".join(rows)


def _world(root: Path, monkeypatch: pytest.MonkeyPatch, cluster: int = 1) -> World:
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(root / "responses.sqlite"))
    (root / "data.jsonl").write_text(_rows(N, cluster))
    engines = FakeEngines()
    world = World(root, engines, LocalExecutor(engines.pool()))
    world.write_spec({"mode": "full"})
    world.rules({"task": "a", "metric": "exact_match", "max_drop": 0.1})
    assert world.check().exit_code == 0
    world.record_baseline()
    return world


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    return _world(tmp_path, monkeypatch)


def _report(outcome: CheckOutcome) -> GateResult:
    return GateResult.from_dict(json.loads(outcome.reports.json))


def _run(outcome: CheckOutcome) -> Run:
    return Run(outcome.run_dir)


def test_candidate_equal_to_the_baseline_stops_early_with_pass(world: World) -> None:
    world.write_spec({"mode": "adaptive", "first_look": 32})
    outcome = world.check(use_cache=False)

    assert outcome.exit_code == 0
    result = _report(outcome)
    (row,) = result.rows
    assert row.status == "PASS" and row.test == "sequential-betting"
    assert row.n == row.n_paired and row.baseline == 0.0  # both sides on the observed samples
    assert result.adaptive is not None
    (rule,) = result.adaptive.rules
    (unit,) = result.adaptive.units
    assert rule.state == "PASS" and rule.budget_n == N and rule.units == "samples"
    assert 32 <= unit.samples_used == rule.n_used < N // 2
    assert unit.generated == unit.samples_used and unit.reused == 0  # --no-cache: all generated
    assert world.engines.prompts_sent == N + unit.samples_used  # the full run, then the prefix
    assert rule.low is not None and rule.high is not None and rule.low < 0 < rule.high
    assert "decided PASS" in rule.reason
    assert "of the compute saved" in outcome.reports.markdown
    assert f"{rule.n_used} / {N} samples" in outcome.reports.markdown


def test_observed_samples_are_a_prefix_of_the_recorded_order(world: World) -> None:
    world.write_spec({"mode": "adaptive", "first_look": 32, "seed": 99})  # not the baseline's
    outcome = world.check()

    records = _run(outcome).read_records()
    order = item_order([f"q{i:03d}" for i in range(N)], 1234)  # the seed the baseline recorded
    assert {r.sample_id for r in records} == set(order[: len(records)])
    assert "sample order from the baseline's seed 1234" in outcome.reports.markdown


def test_broken_candidate_stops_early_with_fail(world: World) -> None:
    world.set_outcomes(lambda i: float(i % 2))  # the baseline passed half: Δ = -0.5
    world.write_spec({"mode": "adaptive", "first_look": 32})
    outcome = world.check()

    assert outcome.exit_code == 1
    result = _report(outcome)
    assert result.rows[0].status == "FAIL"
    assert result.adaptive is not None
    (rule,) = result.adaptive.rules
    assert rule.state == "FAIL" and rule.n_used <= 64
    assert rule.high is not None and rule.high < -0.1
    assert "decided FAIL" in outcome.reports.markdown


def test_undecided_rule_gets_the_fixed_n_verdict_at_the_budget(world: World) -> None:
    world.set_outcomes(lambda i: float(i % 10 == 0))  # Δ = -0.1, right at the margin
    world.write_spec({"mode": "adaptive", "max": 100, "first_look": 50})
    outcome = world.check()

    assert outcome.exit_code == 0  # WARN: inconclusive
    result = _report(outcome)
    assert result.adaptive is not None
    (rule,) = result.adaptive.rules
    (unit,) = result.adaptive.units
    assert rule.state == "BUDGET" and rule.n_used == rule.budget_n == 100
    assert rule.test == "tango-score" and rule.confidence == pytest.approx(0.99)
    assert unit.samples_used == unit.budget_samples == 100
    assert result.rows[0].status == "WARN"
    assert "budget of 100 samples reached undecided" in result.rows[0].reasons[0]
    assert "budget reached" in outcome.reports.markdown


def test_a_second_identical_run_reads_everything_from_the_cache(world: World) -> None:
    world.write_spec({"mode": "adaptive", "first_look": 32})
    first = _report(world.check())
    sent = world.engines.prompts_sent
    second = _report(world.check())

    assert world.engines.prompts_sent == sent
    assert first.adaptive is not None and second.adaptive is not None
    (a,), (b,) = first.adaptive.units, second.adaptive.units
    assert b.samples_used == a.samples_used and b.generated == 0 and b.reused == a.samples_used
    assert [r.to_dict() for r in first.rows] == [r.to_dict() for r in second.rows]


def test_lower_is_better_metrics_are_negated(world: World) -> None:
    # the baseline scored 1 everywhere and lower is better: the candidate's 0 is an improvement
    world.set_outcomes(lambda i: 1.0, higher_is_better=False)
    world.write_spec({"mode": "adaptive", "first_look": 32})
    outcome = world.check()

    result = _report(outcome)
    assert result.adaptive is not None
    assert result.adaptive.rules[0].state == "PASS"
    assert outcome.exit_code == 0
    row = result.rows[0]
    assert row.ci_low is not None and row.ci_low < -0.5  # candidate - baseline, lower is better


def test_clusters_are_the_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = _world(tmp_path, monkeypatch, cluster=3)
    world.write_spec({"mode": "adaptive", "max": 150, "first_look": 16})
    outcome = world.check()

    result = _report(outcome)
    assert result.adaptive is not None
    (rule,) = result.adaptive.rules
    (unit,) = result.adaptive.units
    assert rule.units == "clusters" and rule.budget_n == 50  # 150 samples, 3 per cluster
    assert unit.samples_used == 3 * rule.n_used and unit.budget_samples == 150
    records = _run(outcome).read_records()
    clusters = {r.cluster for r in records}
    assert len(clusters) == rule.n_used and len(records) == 3 * rule.n_used


def test_each_model_loads_once_across_all_looks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _world(tmp_path, monkeypatch)
    models = [
        {"id": "fake", "source": "builtin:smollm2-135m-instruct"},
        {"id": "other", "source": "builtin:smollm2-135m-instruct", "engine_args": {"seed": 1}},
    ]
    world.write_spec({"mode": "full"}, models=models)
    world.check()
    world.record_baseline()
    loads = world.executor.pool.loads
    world.write_spec({"mode": "adaptive", "first_look": 16, "every": 16}, models=models)
    outcome = world.check(use_cache=False)

    result = _report(outcome)
    assert result.adaptive is not None
    assert {u.unit_id: u.looks > 2 for u in result.adaptive.units} == {
        "fake/a": True,
        "other/a": True,
    }
    assert world.executor.pool.loads - loads == 2  # one per model, not one per look
    assert "Holm over 2 rules" in result.adaptive.rules[0].reason


def test_units_without_a_sequential_rule_run_their_budget(world: World) -> None:
    world.write_spec({"mode": "adaptive", "max": 40}, tasks=[_task("a"), _task("b")])
    world.check()  # b has no baseline yet
    outcome = world.check()

    result = _report(outcome)
    assert result.adaptive is not None
    units = {u.unit_id: u for u in result.adaptive.units}
    assert units["fake/b"].samples_used == units["fake/b"].budget_samples == 40
    assert units["fake/b"].stopped.startswith("no max_drop rule to decide sequentially")
    assert "fake/b: no max_drop rule" in outcome.reports.markdown


def test_a_rule_the_sequential_test_cannot_take_makes_its_unit_run_the_budget(
    world: World,
) -> None:
    world.rules(
        {"task": "a", "metric": "exact_match", "max_drop": 0.1},
        {"task": "a", "metric": "exact_match", "max_drop": 0.0},
    )
    world.write_spec({"mode": "adaptive", "max": 120, "first_look": 32})
    outcome = world.check()

    result = _report(outcome)
    assert result.adaptive is not None
    (rule,) = result.adaptive.rules  # the max_drop 0.1 rule, decided on the way
    (unit,) = result.adaptive.units
    assert rule.state == "PASS" and rule.n_used < 120
    assert unit.samples_used == unit.budget_samples == 120
    assert "max_drop 0: a margin outside (0, 1) cannot be tested sequentially" in unit.notes[0]
    # the zero margin is judged fixed-n on all 120 samples: an unchanged candidate is WARN
    assert result.rows[0].status == "WARN" and result.rows[0].n == 120


def test_a_unit_whose_engine_fails_at_a_look_is_an_error_not_a_verdict(world: World) -> None:
    failing = FakeEngines(raise_on_call=1)  # each engine it loads fails on its second call
    world.executor = LocalExecutor(failing.pool())
    world.write_spec({"mode": "adaptive", "first_look": 32})
    outcome = world.check(use_cache=False)

    assert outcome.exit_code == 3
    result = _report(outcome)
    assert result.rows[0].status == "ERROR" and "engine core died" in result.rows[0].reasons[0]
    assert result.adaptive is not None
    (unit,) = result.adaptive.units
    assert unit.stopped == "failed after 32 of 300 samples" and unit.looks == 2
    assert len(failing.engines) == 1  # not retried by the final pass: no second load
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "engine core died" in manifest["reason"]


def test_limit_caps_the_samples_an_adaptive_run_may_use(world: World) -> None:
    world.write_spec({"mode": "full"})
    outcome = world.check(adaptive=True, limit=50)  # the command line wins over the file

    result = _report(outcome)
    assert result.adaptive is not None
    (unit,) = result.adaptive.units
    assert unit.budget_samples == 50
    assert json.loads((outcome.run_dir / "manifest.json").read_text())["adaptive"] is True


def test_runs_that_do_not_opt_in_are_unchanged(world: World) -> None:
    outcome = world.check()

    assert json.loads(outcome.reports.json).get("adaptive") is None
    assert "Adaptive sampling" not in outcome.reports.markdown
    assert json.loads((outcome.run_dir / "manifest.json").read_text())["adaptive"] is False
    assert len(_run(outcome).read_records()) == N


def test_an_adaptive_run_cannot_become_a_baseline(world: World) -> None:
    world.write_spec({"mode": "adaptive", "first_look": 32})
    world.check()

    with pytest.raises(SpecError, match="is adaptive: it stopped each task"):
        prepare_baseline(world.spec, runs_dir=world.root / "runs")


def test_baseline_update_records_the_order_and_never_redraws_it(world: World) -> None:
    entry = json.loads(world.baseline.read_text())["units"][UNIT]
    ids = [f"q{i:03d}" for i in range(N)]
    assert entry["order"] == {
        "method": ORDER_METHOD,
        "seed": 1234,
        "digest": order_digest(unit_order(ids, 1234)),
        "units": N,
    }
    world.write_spec({"mode": "full", "seed": 7})
    world.check()
    update = prepare_baseline(world.spec, runs_dir=world.root / "runs")

    order = update.baseline.units[UNIT].order
    assert order is not None and order.seed == 1234


def test_a_baseline_without_an_order_draws_it_from_the_spec_seed(world: World) -> None:
    data = json.loads(world.baseline.read_text())
    del data["units"][UNIT]["order"]
    world.baseline.write_text(json.dumps(data))
    world.write_spec({"mode": "adaptive", "first_look": 32})
    outcome = world.check()

    assert outcome.exit_code == 0
    assert "records no sample order: drawn from samples.seed 1234" in outcome.reports.markdown


def test_adaptive_settings_need_mode_adaptive(world: World) -> None:
    world.write_spec({"mode": "quick", "max": 100})

    with pytest.raises(SpecError) as error:
        load_spec(world.spec)
    assert str(error.value).startswith("spec.yaml:") or "spec.yaml:" in str(error.value)
    assert "max: only for mode adaptive (this spec's mode is quick)" in str(error.value)
