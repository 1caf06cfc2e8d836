"""Specs and record comparisons shared by the Ray tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from evalspec.store import Run

BUILTIN = "builtin:smollm2-135m-instruct"
# what can differ between two runs with equal outputs: timings and where outputs came from
VOLATILE = ("latency_s", "cached")


def arithmetic_rows(n: int) -> list[dict[str, str]]:
    return [
        {"id": f"q{i}", "prompt": f"What is {i} + {i % 7}?", "target": str(i + i % 7)}
        for i in range(n)
    ]


def write_spec(
    workdir: Path,
    *,
    models: list[str],
    run: dict[str, Any],
    rows: int = 12,
    name: str = "scale",
    tasks: list[dict[str, Any]] | None = None,
) -> Path:
    data = workdir / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in arithmetic_rows(rows)))
    spec = {
        "version": 1,
        "name": name,
        # distinct engines (their responses are cached apart): the context length differs
        "models": [
            {"id": m, "source": BUILTIN, "engine_args": {"max_model_len": 1024 + 64 * i}}
            for i, m in enumerate(models)
        ],
        "tasks": tasks
        or [
            {
                "id": "greedy",
                "dataset": {"format": "jsonl", "source": "data.jsonl"},
                "prompt": {"template": "{prompt} Answer with the number only."},
                "generation": {"max_tokens": 8},
                "scorer": {"type": "numeric"},
            },
            {
                "id": "sampled",
                "dataset": {"format": "jsonl", "source": "data.jsonl"},
                "generation": {"max_tokens": 8, "temperature": 0.8, "seed": 7, "n": 2},
                "scorer": {"type": "numeric"},
            },
        ],
        "samples": {"mode": "full"},
        "run": run,
    }
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def comparable(run_dir: Path) -> list[dict[str, Any]]:
    """A run's records in file order, without what may differ between equal runs."""
    out = []
    for record in Run(run_dir).read_records():
        data = record.to_json_dict()
        for key in VOLATILE:
            data.pop(key, None)
        out.append(data)
    return out


def vllm_tasks(fixtures: Path) -> list[dict[str, Any]]:
    """Greedy and seeded generation, and log-likelihood multiple choice: every kind of
    request a replica answers."""
    return [
        {
            "id": "greedy",
            "dataset": {"format": "jsonl", "source": "data.jsonl"},
            "prompt": {"template": "{prompt} Answer with the number only."},
            "generation": {"max_tokens": 12},
            "scorer": {"type": "numeric"},
        },
        {
            "id": "sampled",
            "dataset": {"format": "jsonl", "source": "data.jsonl"},
            "generation": {"max_tokens": 8, "temperature": 0.8, "seed": 7, "n": 2},
            "scorer": {"type": "numeric"},
        },
        {
            "id": "hellaswag",
            "dataset": {
                "format": "hellaswag",
                "source": str(fixtures / "hellaswag/hellaswag_val.jsonl"),
            },
            "output_type": "loglikelihood",
            "scorer": {"type": "multiple_choice"},
            "metrics": ["acc_norm"],
        },
    ]
