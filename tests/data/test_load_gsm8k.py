"""Loading the published GSM8K format."""

from __future__ import annotations

import json
from pathlib import Path

from evalspec.data import load_dataset
from evalspec.data.gsm8k import final_answer
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_gsm8k_fixture_targets_are_the_final_answers_without_separators() -> None:
    ds = load_dataset(DatasetSpec(format="gsm8k", source="gsm8k_mini.jsonl"), FIXTURES)
    assert [s.target for s in ds.samples] == ["14", "29", "1200", "-5", "16.5"]
    assert ds.samples[0].prompt.startswith("Lena buys 3 notebooks")


def test_gsm8k_solution_is_kept_in_meta() -> None:
    ds = load_dataset(DatasetSpec(format="gsm8k", source="gsm8k_mini.jsonl"), FIXTURES)
    first = json.loads((FIXTURES / "gsm8k_mini.jsonl").read_text().splitlines()[0])
    assert ds.samples[0].meta["solution"] == first["answer"]


def test_gsm8k_ids_are_stable_content_hashes_and_unique() -> None:
    spec = DatasetSpec(format="gsm8k", source="gsm8k_mini.jsonl")
    ids = [s.id for s in load_dataset(spec, FIXTURES).samples]
    assert ids == [s.id for s in load_dataset(spec, FIXTURES).samples]
    assert len(set(ids)) == 5
    assert all(len(i) == 12 for i in ids)


def test_gsm8k_id_field_is_used_when_present(tmp_path: Path) -> None:
    row = {"id": "test-3", "question": "Q?", "answer": "1 + 1 = 2\n#### 2"}
    (tmp_path / "g.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    ds = load_dataset(DatasetSpec(format="gsm8k", source="g.jsonl"), tmp_path)
    assert ds.samples[0].id == "test-3"
    assert ds.samples[0].target == "2"


def test_final_answer_takes_text_after_the_last_marker() -> None:
    assert final_answer("a #### 1\nb #### 2,500 ") == "2500"
    assert final_answer("no marker 5") is None
    assert final_answer("empty ####   ") is None
