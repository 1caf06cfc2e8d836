"""A Hugging Face repo id from a (real, temporary) hub cache runs from its pinned commit.

The cache's snapshots link to the converted built-in model's files (as its snapshots link
to blobs). `check` runs the model on the hf engine (transformers loads in seconds);
moving `refs/main` to another commit changes the run's model revision and the request
keys, so the outputs cached for the old commit are not served for the new one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hf_cache import isolated_hub, set_ref

from evalspec.checking import run_check
from evalspec.engines import EnginePool
from evalspec.engines.builtin import resolve_builtin
from evalspec.runner import LocalExecutor

pytestmark = pytest.mark.slow

REPO_ID = "evalspec-test/smol"
OLD = "1" * 40
NEW = "2" * 40


def _link_snapshot(hub: Path, commit: str, model_dir: Path) -> None:
    snapshot = hub / "models--evalspec-test--smol" / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for file in model_dir.iterdir():
        if file.is_file():
            (snapshot / file.name).symlink_to(file)


def _spec(root: Path) -> Path:
    (root / "qa.jsonl").write_text(
        '{"id": "q1", "prompt": "What is 2+2? Answer with a number.", "target": "4"}\n'
        '{"id": "q2", "prompt": "What is 3+5? Answer with a number.", "target": "8"}\n'
    )
    spec = root / "spec.yaml"
    spec.write_text(
        f"""version: 1
name: hub-model
models:
  - id: smol
    source: {REPO_ID}
    revision: main
    engine: hf
tasks:
  - id: qa
    dataset: {{format: jsonl, source: qa.jsonl}}
    generation: {{max_tokens: 8}}
    scorer: {{type: numeric}}
"""
    )
    return spec


def test_a_cached_hub_model_runs_from_the_commit_main_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_dir, _ = resolve_builtin("smollm2-135m-instruct")
    hub = isolated_hub(tmp_path, monkeypatch)
    _link_snapshot(hub, OLD, model_dir)
    _link_snapshot(hub, NEW, model_dir)
    set_ref(hub, REPO_ID, "main", OLD)
    spec = _spec(tmp_path)
    pool = EnginePool()

    def run() -> tuple[str, list[bool]]:
        """(the unit's model revision, whether each output came from the response cache)."""
        outcome = run_check(spec, runs_dir=tmp_path / "runs", executor=LocalExecutor(pool))
        assert outcome.exit_code == 0, outcome.reports.markdown
        manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
        lines = (outcome.run_dir / "records.jsonl").read_text().splitlines()
        (unit,) = manifest["units"]
        return unit["identity"]["model"]["revision"], [json.loads(x)["cached"] for x in lines]

    try:
        assert run() == (OLD, [False, False])
        assert run() == (OLD, [True, True])  # same commit: served from the cache
        set_ref(hub, REPO_ID, "main", NEW)
        assert run() == (NEW, [False, False])  # main moved: generated anew
        set_ref(hub, REPO_ID, "main", OLD)
        assert run() == (OLD, [True, True])
    finally:
        pool.close()
