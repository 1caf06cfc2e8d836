"""The check pipeline with `engine: openai` against the local stand-in: answers, infra errors."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from openai_standin import Behaviour, standin

from evalspec.checking import CheckOutcome, run_check
from evalspec.engines import EnginePool
from evalspec.runner import LocalExecutor

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "arith_mini.jsonl"


def check(tmp_path: Path, base_url: str) -> CheckOutcome:
    spec = {
        "version": 1,
        "name": "remote",
        "models": [
            {
                "id": "remote",
                "source": "standin",
                "engine": "openai",
                "server": {"base_url": base_url, "max_retries": 1, "retry_backoff_s": 0.01},
            }
        ],
        "tasks": [
            {
                "id": "arith",
                "dataset": {"format": "jsonl", "source": str(FIXTURE)},
                "generation": {"max_tokens": 8},
                "scorer": {"type": "numeric"},
            }
        ],
        "samples": {"limit": 3},
    }
    path = tmp_path / "remote.yaml"
    path.write_text(yaml.safe_dump(spec))
    # a pool of its own: the session's shared pool may hold the vLLM engine
    return run_check(
        path, runs_dir=tmp_path / "runs", executor=LocalExecutor(EnginePool()), use_cache=False
    )


def test_check_scores_the_endpoints_answers(tmp_path: Path) -> None:
    with standin(Behaviour()) as url:
        result = check(tmp_path, url)
    assert result.exit_code == 0, result.reports.markdown
    run = result.run_dir
    records = [json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()]
    assert len(records) == 3
    assert all(r["output"].startswith("echo:") for r in records)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["engine_fingerprints"]["remote"]["engine"] == "openai"


def test_persistent_server_errors_fail_the_unit_as_infrastructure(tmp_path: Path) -> None:
    with standin(Behaviour(always=500)) as url:
        result = check(tmp_path, url)
    assert result.exit_code == 3, result.reports.markdown
    assert "HTTP 500" in result.reports.markdown
    assert "3 of 3 outputs failed at the engine" in result.reports.markdown
