"""The winogrande format: lm-eval partial scoring (per-option contexts, one continuation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.formats import FORMATS
from evalspec.data.ids import content_id
from evalspec.data.rows import Row
from evalspec.data.winogrande import parse_winogrande_row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ROW: dict[str, Any] = {
    "qID": "q-1",
    "sentence": "Sam gave Alex a coat because _ was cold.",
    "option1": "Sam",
    "option2": "Alex",
    "answer": "2",
}


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.jsonl:1", line=1, fields=fields)


def test_contexts_choices_labels_and_gold() -> None:
    sample, derived = parse_winogrande_row(_row(ROW))
    assert not derived
    assert sample.id == "q-1"
    assert sample.prompt == ROW["sentence"]
    start = "Sam gave Alex a coat because "
    assert sample.contexts == (start + "Sam", start + "Alex")
    assert sample.choices == ("was cold.", "was cold.")
    assert (sample.labels, sample.gold, sample.target) == (("1", "2"), (1,), "2")


def test_hf_rows_without_qid_and_unlabelled_test_rows() -> None:
    fields = {k: v for k, v in ROW.items() if k != "qID"}
    sample, derived = parse_winogrande_row(_row({**fields, "answer": ""}))
    assert derived and sample.id == content_id(ROW["sentence"])
    assert (sample.gold, sample.target) == ((), "")


def test_bad_rows_name_the_field() -> None:
    with pytest.raises(SpecError, match=r"f\.jsonl:1: field 'answer' is '3'"):
        parse_winogrande_row(_row({**ROW, "answer": "3"}))
    with pytest.raises(SpecError, match=r"field 'sentence' has no '_' blank"):
        parse_winogrande_row(_row({**ROW, "sentence": "No blank here."}))


def test_fixture_loads_with_validation_default_split() -> None:
    assert FORMATS["winogrande"].default_split == "validation"
    ds = load_dataset(DatasetSpec(format="winogrande", source="winogrande/dev.jsonl"), FIXTURES)
    assert [s.gold for s in ds.samples] == [(0,), (1,), (0,), (1,)]
    assert ds.samples[0].id == "3QHITW7OYO-1"
