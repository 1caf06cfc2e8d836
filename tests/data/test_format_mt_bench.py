"""The mt_bench format: FastChat question.jsonl and HuggingFaceH4/mt_bench_prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.mt_bench import parse_mt_bench_row
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.jsonl:1", line=1, fields=fields)


def test_fastchat_row_turns_category_and_reference() -> None:
    sample, derived = parse_mt_bench_row(
        _row(
            {
                "question_id": 111,
                "category": "math",
                "turns": ["What is 2+2?", "Double it."],
                "reference": ["4", "8"],
            }
        )
    )
    assert not derived
    assert (sample.id, sample.prompt, sample.turns) == ("111", "What is 2+2?", ("Double it.",))
    assert sample.tags == {"category": "math"}
    assert sample.meta == {"reference": ["4", "8"]}
    assert sample.target == ""


def test_hf_layout_prompt_list_and_empty_reference() -> None:
    sample, _ = parse_mt_bench_row(
        _row({"prompt_id": 81, "category": "writing", "prompt": ["A", "B"], "reference": []})
    )
    assert (sample.id, sample.prompt, sample.turns, sample.meta) == ("81", "A", ("B",), {})


def test_bad_rows_name_the_field() -> None:
    with pytest.raises(SpecError, match=r"f\.jsonl:1: field 'turns' must be a list of strings"):
        parse_mt_bench_row(_row({"question_id": 1, "turns": "hi"}))
    with pytest.raises(SpecError, match=r"missing required field 'turns'"):
        parse_mt_bench_row(_row({"question_id": 1}))
    with pytest.raises(SpecError, match=r"missing required field 'question_id'"):
        parse_mt_bench_row(_row({"turns": ["hi"]}))


def test_fixture_loads() -> None:
    ds = load_dataset(DatasetSpec(format="mt_bench", source="mt_bench/question.jsonl"), FIXTURES)
    assert [s.id for s in ds.samples] == ["81", "111", "121", "131"]
    assert all(len(s.turns) == 1 for s in ds.samples)
    assert [s.tags["category"] for s in ds.samples] == ["writing", "math", "coding", "roleplay"]
    assert "reference" not in ds.samples[0].meta
    assert ds.samples[1].meta["reference"] == ["144", "48"]
