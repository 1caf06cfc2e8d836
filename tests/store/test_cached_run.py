"""A check whose responses are all cached asks no engine for anything (fast: vLLM never loads)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalspec.checking import run_check
from evalspec.engines import Completion, EnginePool
from evalspec.plan import compile_plan
from evalspec.runner import LocalExecutor
from evalspec.runner.requests import engine_identity, generate_key
from evalspec.spec import load_spec
from evalspec.store import ResponseCache
from evalspec.store.cache import RESPONSE_CACHE_ENV

SPEC = """version: 1
name: cached
models: [{id: smol, source: "builtin:smollm2-135m-instruct", engine_args: {max_model_len: 512}}]
tasks:
  - id: qa
    dataset: {format: jsonl, source: qa.jsonl}
    generation: {max_tokens: 4}
    scorer: {type: numeric}
"""


@pytest.fixture
def spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(tmp_path / "responses.sqlite"))
    (tmp_path / "qa.jsonl").write_text(
        '{"id": "q1", "prompt": "2+2?", "target": "4"}\n'
        '{"id": "q2", "prompt": "3+3?", "target": "6"}\n'
    )
    (tmp_path / "spec.yaml").write_text(SPEC)
    return tmp_path / "spec.yaml"


def test_fully_cached_check_never_loads_and_rescores_the_cached_outputs(
    spec: Path, tmp_path: Path
) -> None:
    (unit,) = compile_plan(load_spec(spec)).units
    with ResponseCache(tmp_path / "responses.sqlite") as cache:
        answers = {"q1": "4", "q2": "5"}  # one right, one wrong
        engine, params = engine_identity(unit.identity), unit.task.generation
        entries = [
            (generate_key(engine, p, params, None, 0), Completion(answers[s.id], 9, 1, "stop", 0.2))
            for s, p in zip(unit.samples, unit.prompts, strict=True)
        ]
        cache.put_many(entries, {"engine": "vllm", "dtype": "float32"})

    pool = EnginePool()
    outcome = run_check(spec, runs_dir=tmp_path / "runs", executor=LocalExecutor(pool))
    assert pool.loads == 0
    assert outcome.exit_code == 0
    records = [json.loads(x) for x in (outcome.run_dir / "records.jsonl").read_text().splitlines()]
    assert {(r["sample_id"], r["output"], r["score"], r["cached"]) for r in records} == {
        ("q1", "4", 1.0, True),
        ("q2", "5", 0.0, True),
    }
    results = json.loads((outcome.run_dir / "results.json").read_text())
    (result,) = results["units"]
    assert result["metrics"]["accuracy"]["value"] == 0.5
    assert result["fingerprint"]["dtype"] == "float32"  # the cached engine fingerprint
    assert results["perf"]["smol/qa"]["cached"] is True
    assert results["perf"]["smol/qa"]["cached_outputs"] == 2
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["engine_fingerprints"] == {"smol": {"engine": "vllm", "dtype": "float32"}}
