"""Real checks on the in-process engine stand-in, recorded in a history index: what the
history and export tests read back (fast: no model, real files and SQLite)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from runner.fake_engine import FakeEngines

from evalspec.checking import CheckOutcome, prepare_baseline, run_check
from evalspec.gate import write_baseline
from evalspec.runner import LocalExecutor
from evalspec.store.cache import RESPONSE_CACHE_ENV

MODEL = {"id": "fake", "source": "builtin:smollm2-135m-instruct"}


@dataclass(frozen=True)
class Recorded:
    workdir: Path
    spec: Path
    runs: Path
    history: Path
    outcomes: list[CheckOutcome]  # oldest first: a PASS, then a FAIL (a floor the run misses)


def write_spec(workdir: Path, name: str = "hist", floor: float = 0.0) -> Path:
    """A spec of two tasks (two metrics on one of them) with a thresholds file and baseline."""
    data = workdir / "data.jsonl"
    data.write_text(
        "".join(
            json.dumps({"id": f"q{i}", "prompt": f"What is {i} + 1?", "target": str(i + 1)}) + "\n"
            for i in range(8)
        )
    )
    (workdir / "thresholds.yaml").write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "rules": [{"task": "arith", "metric": "accuracy", "min": floor}],
            }
        )
    )
    spec = {
        "version": 1,
        "name": name,
        "models": [MODEL],
        "tasks": [
            {
                "id": "arith",
                "dataset": {"format": "jsonl", "source": "data.jsonl"},
                "generation": {"max_tokens": 8},
                "scorer": {"type": "numeric"},
            },
            {
                "id": "echo",
                "dataset": {"format": "jsonl", "source": "data.jsonl"},
                "prompt": {"template": "Repeat: {prompt}"},
                "generation": {"max_tokens": 8, "n": 2, "temperature": 0.7},
                "scorer": {"type": "exact_match"},
                "metrics": ["exact_match", "pass@2"],
            },
        ],
        "gate": {"thresholds": "thresholds.yaml", "baseline": "baseline.json"},
    }
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def record_two_checks(workdir: Path) -> Recorded:
    """A passing check, its run made the baseline, then a check against a floor of 0.9.

    A response cache of their own: the first check generates (and measures perf) whatever
    other tests of the session generated; the second takes every output from the cache."""
    spec = write_spec(workdir)
    runs, history = workdir / "runs", workdir / "history.sqlite"
    executor = LocalExecutor(FakeEngines().pool())
    before = os.environ.get(RESPONSE_CACHE_ENV)
    os.environ[RESPONSE_CACHE_ENV] = str(workdir / "responses.sqlite")
    try:
        first = run_check(spec, runs_dir=runs, executor=executor, history=history)
        update = prepare_baseline(spec, run_id=first.run_id, runs_dir=runs)
        write_baseline(update.path, update.baseline)
        write_spec(workdir, floor=0.9)
        second = run_check(spec, runs_dir=runs, executor=executor, history=history)
    finally:
        if before is None:
            os.environ.pop(RESPONSE_CACHE_ENV, None)
        else:
            os.environ[RESPONSE_CACHE_ENV] = before
    return Recorded(workdir, spec, runs, history, [first, second])
