"""The hellaswag format: lm-eval preprocessing, int or string labels, unlabelled rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.formats import FORMATS
from evalspec.data.hellaswag import parse_hellaswag_row, preprocess
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ROW: dict[str, Any] = {
    "ind": 4,
    "activity_label": "Washing dishes",
    "ctx_a": "A woman fills the sink.",
    "ctx_b": "she",
    "ctx": "A woman fills the sink. she",
    "endings": [" scrubs the plates. ", "eats the sponge."],
    "label": 0,
    "split": "val",
}


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.jsonl:1", line=1, fields=fields)


def test_preprocess_matches_lm_eval() -> None:
    # as lm-eval: strip first, so a leading removed bracket leaves its space behind, and
    # a single pass of "  " -> " " leaves two of three spaces
    text = " [header] How to water a plant [title] Check the soil.  [step] Done "
    assert preprocess(text) == " How to water a plant. Check the soil.  Done"
    assert preprocess("[step] Push. [substeps] If dry, water.") == " Push. If dry, water."


def test_row_prompt_choices_gold_and_id() -> None:
    sample, derived = parse_hellaswag_row(_row(ROW))
    assert not derived
    assert sample.id == "hellaswag/4"
    assert sample.prompt == "Washing dishes: A woman fills the sink. She"
    assert sample.choices == ("scrubs the plates.", "eats the sponge.")
    assert (sample.gold, sample.target) == ((0,), "A")
    assert sample.meta == {"split": "val"}


def test_hf_string_label_and_unlabelled_test_rows() -> None:
    sample, _ = parse_hellaswag_row(_row({**ROW, "ind": "4", "label": "1"}))
    assert (sample.id, sample.gold, sample.target) == ("hellaswag/4", (1,), "B")
    unlabelled, _ = parse_hellaswag_row(_row({**ROW, "label": ""}))
    assert (unlabelled.gold, unlabelled.target) == ((), "")


def test_row_without_ind_gets_a_content_id() -> None:
    fields = {k: v for k, v in ROW.items() if k != "ind"}
    first, derived = parse_hellaswag_row(_row(fields))
    again, _ = parse_hellaswag_row(_row(fields))
    assert derived and first.id == again.id and len(first.id) == 12


def test_bad_label_is_an_error() -> None:
    with pytest.raises(SpecError, match=r"f\.jsonl:1: field 'label' is 2, out of range"):
        parse_hellaswag_row(_row({**ROW, "label": 2}))
    with pytest.raises(SpecError, match=r"field 'label' must be the index"):
        parse_hellaswag_row(_row({**ROW, "label": "B"}))


def test_fixture_loads_with_validation_default_split() -> None:
    assert FORMATS["hellaswag"].default_split == "validation"
    ds = load_dataset(
        DatasetSpec(format="hellaswag", source="hellaswag/hellaswag_val.jsonl"), FIXTURES
    )
    assert [s.id for s in ds.samples] == [f"hellaswag/{i}" for i in (24, 92, 108, 131)]
    assert [s.gold for s in ds.samples] == [(0,), (1,), (2,), (3,)]
    wikihow = ds.samples[2]
    assert wikihow.prompt == "Home and Garden: How to water a houseplant. Check the soil."
    assert wikihow.choices[2] == (
        " Push a finger into the soil. If the top inch is dry, the plant needs water."
    )
