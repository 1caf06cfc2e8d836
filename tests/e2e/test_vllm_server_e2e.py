"""`engine: vllm-server` end to end: evalspec starts `vllm serve`, and agrees with offline vLLM."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalspec.cli import cli
from evalspec.engines import default_pool
from evalspec.engines.vllm_server import VllmServerEngine
from evalspec.plan import compile_plan
from evalspec.spec import load_spec

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PAIRS = [
    ("The capital of France is", " Paris"),
    ("The sky is", " blue"),
    ("One, two, three,", " four"),
    ("What is 2 + 2? The answer is", " 4"),
]


def write_spec(directory: Path) -> Path:
    spec = {
        "version": 1,
        "name": "server",
        "models": [
            {
                "id": "smol",
                "source": "builtin:smollm2-135m-instruct",
                "engine": "vllm-server",
                "engine_args": {"max_model_len": 2048},
            }
        ],
        "tasks": [
            {
                "id": "arithmetic",
                "dataset": {"format": "jsonl", "source": str(REPO / "specs/data/arithmetic.jsonl")},
                "prompt": {"template": "{prompt} Answer with the number only."},
                "generation": {"max_tokens": 12},
                "scorer": {"type": "numeric"},
            }
        ],
        "samples": {"limit": 8},
    }
    path = directory / "server.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_vllm_server_outputs_and_loglikelihoods_match_the_offline_engine(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    plan = compile_plan(load_spec(spec))
    (group,) = plan.groups
    (unit,) = group.units
    pool = default_pool()

    # the offline engine first (the e2e session may already hold it), same arguments
    offline_request = dataclasses.replace(group.request, engine="vllm", server=())
    offline = pool.get(offline_request)
    offline_outputs, _ = offline.generate(list(unit.prompts), unit.task.generation)
    offline_ll = offline.loglikelihood(PAIRS)  # type: ignore[attr-defined]

    start = time.perf_counter()
    runs = tmp_path / "runs"
    result = CliRunner().invoke(
        cli,
        ["check", str(spec), "--runs-dir", str(runs), "--quiet", "--no-cache"],
        catch_exceptions=False,
    )
    check_s = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    (run,) = runs.iterdir()
    records = [json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()]
    assert [r["output"] for r in records] == [c.text for c in offline_outputs]

    manifest = json.loads((run / "manifest.json").read_text())
    fingerprint = manifest["engine_fingerprints"]["smol"]
    import vllm

    assert fingerprint["engine"] == "vllm-server"
    assert fingerprint["engine_version"] == vllm.__version__
    assert fingerprint["server_model"] == "smol"

    server = pool.get(group.request)  # still resident: the same server
    assert isinstance(server, VllmServerEngine)
    server_ll = server.loglikelihood(PAIRS)
    print(f"\nserver start {server.load_s:.1f} s, check {check_s:.1f} s")
    print(f"loglikelihood server {server_ll}\n              offline {offline_ll}")
    assert all(math.isfinite(v) and v < 0 for v in server_ll)
    for a, b in zip(server_ll, offline_ll, strict=True):
        assert a == pytest.approx(b, abs=0.05)

    pid = server.server.process.pid
    pool.close()
    assert server.server.process.poll() is not None, f"vllm serve (pid {pid}) still runs"
