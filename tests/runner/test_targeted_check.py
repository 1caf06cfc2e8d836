"""A targeted check gates only what ran; a baseline update from it keeps the units it left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fake_engine import FakeEngines

from evalspec.checking import prepare_baseline, run_check
from evalspec.gate import read_baseline, write_baseline
from evalspec.plan import targets
from evalspec.runner import LocalExecutor
from evalspec.store import Run
from evalspec.store.cache import RESPONSE_CACHE_ENV

MODEL = {"id": "fake", "source": "builtin:smollm2-135m-instruct"}


@pytest.fixture
def spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Tasks a, b and c on the stand-in engine, gated by max_drop against a baseline."""
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(tmp_path / "responses.sqlite"))
    rows = [{"id": f"q{i}", "prompt": f"What is {i} + 1?", "target": str(i + 1)} for i in range(8)]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "thresholds.yaml").write_text(
        "version: 1\nrules:\n  - metric: '*'\n    max_drop: 0.5\n"
    )
    tasks = [
        {
            "id": task_id,
            "dataset": {"format": "jsonl", "source": "data.jsonl"},
            "prompt": {"template": f"{task_id}: {{prompt}}"},
            "generation": {"max_tokens": 8},
            "scorer": {"type": "numeric"},
        }
        for task_id in ("a", "b", "c")
    ]
    spec = {
        "version": 1,
        "name": "targeted",
        "models": [MODEL],
        "tasks": tasks,
        "samples": {"mode": "validate"},
        "gate": {"thresholds": "thresholds.yaml", "baseline": "baseline.json"},
    }
    path = tmp_path / "targeted.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _baseline_from_a_full_run(spec: Path, executor: LocalExecutor) -> None:
    full = run_check(spec, runs_dir=spec.parent / "runs", executor=executor)
    assert full.exit_code == 0, full.reports.markdown
    update = prepare_baseline(spec, run_id=full.run_id, runs_dir=spec.parent / "runs")
    write_baseline(update.path, update.baseline)


def test_a_targeted_check_gates_only_the_units_it_ran_and_says_so(spec: Path) -> None:
    executor = LocalExecutor(FakeEngines().pool())
    _baseline_from_a_full_run(spec, executor)

    outcome = run_check(
        spec, runs_dir=spec.parent / "runs", executor=executor, targets=targets(tasks=["b"])
    )

    report = json.loads(outcome.reports.json)
    assert outcome.exit_code == 0, outcome.reports.markdown
    assert {(r["task"], r["status"]) for r in report["rows"]} == {("b", "PASS")}
    assert "missing from this run" not in outcome.reports.markdown
    scope = (
        "Targeted run (--task b): only 1 of the spec's 3 units ran; the gate covers only "
        "these (baseline units that were not run are not compared)"
    )
    assert report["scope"] == scope
    assert outcome.reports.markdown.splitlines()[3] == f"_{scope}_"
    assert Run(outcome.run_dir).manifest.targets is not None


def test_an_untargeted_run_still_reports_baseline_units_it_lacks(spec: Path) -> None:
    executor = LocalExecutor(FakeEngines().pool())
    _baseline_from_a_full_run(spec, executor)
    data = yaml.safe_load(spec.read_text())
    data["tasks"] = data["tasks"][1:2]  # tasks a and c removed from the spec itself
    spec.write_text(yaml.safe_dump(data, sort_keys=False))

    outcome = run_check(spec, runs_dir=spec.parent / "runs", executor=executor)

    report = json.loads(outcome.reports.json)
    missing = [r["task"] for r in report["rows"] if r["status"] == "WARN"]
    assert sorted(missing) == ["a", "c"]
    assert report["scope"] is None


def test_a_baseline_update_from_a_targeted_run_keeps_the_other_units(spec: Path) -> None:
    executor = LocalExecutor(FakeEngines().pool())
    _baseline_from_a_full_run(spec, executor)
    before = read_baseline(spec.parent / "baseline.json", "targeted")
    assert before is not None
    data = yaml.safe_load(spec.read_text())
    data["tasks"][0]["prompt"]["template"] = "changed a: {prompt}"
    spec.write_text(yaml.safe_dump(data, sort_keys=False))

    targeted = run_check(
        spec,
        runs_dir=spec.parent / "runs",
        executor=executor,
        targets=targets(tasks=["a"], mode="quick"),
    )
    update = prepare_baseline(spec, run_id=targeted.run_id, runs_dir=spec.parent / "runs")

    assert sorted(update.baseline.units) == ["fake/a", "fake/b", "fake/c"]
    assert update.baseline.units["fake/b"] == before.units["fake/b"]
    assert update.baseline.units["fake/a"].hash != before.units["fake/a"].hash
    assert any(
        line.startswith(
            "kept 2 unit(s) of the previous baseline that the targeted run "
            "(--task a --mode quick) did not run: fake/b, fake/c"
        )
        for line in update.changes
    )
