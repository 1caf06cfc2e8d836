"""The ifeval format: instruction ids and kwargs (HF nulls dropped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.formats import FORMATS
from evalspec.data.ifeval import parse_ifeval_row
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.jsonl:1", line=1, fields=fields)


def test_hf_row_drops_null_kwargs() -> None:
    sample, derived = parse_ifeval_row(
        _row(
            {
                "key": 1003,
                "prompt": "Describe a cat.",
                "instruction_id_list": ["length_constraints:number_words", "punctuation:no_comma"],
                "kwargs": [
                    {"relation": "less than", "num_words": 30, "keywords": None},
                    {"relation": None, "num_words": None, "keywords": None},
                ],
            }
        )
    )
    assert not derived
    assert (sample.id, sample.prompt, sample.target) == ("1003", "Describe a cat.", "")
    assert sample.meta == {
        "instruction_id_list": ["length_constraints:number_words", "punctuation:no_comma"],
        "kwargs": [{"relation": "less than", "num_words": 30}, {}],
    }


def test_kwargs_must_pair_with_instructions() -> None:
    fields = {"key": 1, "prompt": "P", "instruction_id_list": ["a:b", "c:d"], "kwargs": [{}]}
    with pytest.raises(SpecError, match=r"f\.jsonl:1: field 'kwargs' must be a list of 2"):
        parse_ifeval_row(_row(fields))
    with pytest.raises(SpecError, match=r"field 'instruction_id_list' must be a list"):
        parse_ifeval_row(_row({**fields, "instruction_id_list": "a:b"}))


def test_fixture_loads() -> None:
    assert FORMATS["ifeval"].default_split == "train"
    ds = load_dataset(DatasetSpec(format="ifeval", source="ifeval/input_data.jsonl"), FIXTURES)
    assert [s.id for s in ds.samples] == ["1001", "1002", "1003", "1004"]
    assert ds.samples[1].meta["kwargs"] == [{"num_bullets": 3}]
    assert ds.samples[2].meta["instruction_id_list"] == [
        "length_constraints:number_words",
        "change_case:english_lowercase",
    ]
