"""The arc / arc_challenge / arc_easy formats: original jsonl and allenai/ai2_arc layouts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.arc import parse_arc_row
from evalspec.data.formats import FORMATS
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ORIGINAL: dict[str, Any] = {
    "id": "Mercury_1",
    "question": {
        "stem": "What do plants need?",
        "choices": [{"text": "light", "label": "A"}, {"text": "noise", "label": "B"}],
    },
    "answerKey": "A",
}
HF: dict[str, Any] = {
    "id": "Mercury_1",
    "question": "What do plants need?",
    "choices": {"text": ["light", "noise"], "label": ["A", "B"]},
    "answerKey": "A",
}


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.jsonl:1", line=1, fields=fields)


@pytest.mark.parametrize("fields", [ORIGINAL, HF], ids=["original", "hf"])
def test_both_layouts_give_the_same_sample(fields: dict[str, Any]) -> None:
    sample, derived = parse_arc_row(_row(fields))
    assert not derived
    assert sample.id == "Mercury_1"
    assert sample.prompt == "Question: What do plants need?\nAnswer:"
    assert (sample.choices, sample.labels) == (("light", "noise"), ("A", "B"))
    assert (sample.gold, sample.target) == ((0,), "A")
    assert sample.meta == {"question": "What do plants need?"}


def test_numeric_labels_are_kept() -> None:
    fields = {**HF, "choices": {"text": ["a", "b", "c"], "label": ["1", "2", "3"]}}
    sample, _ = parse_arc_row(_row({**fields, "answerKey": "3"}))
    assert (sample.labels, sample.gold, sample.target) == (("1", "2", "3"), (2,), "3")


def test_bad_rows_name_the_field() -> None:
    with pytest.raises(SpecError, match=r"f\.jsonl:1: field 'answerKey' is 'C'.*one of A, B"):
        parse_arc_row(_row({**HF, "answerKey": "C"}))
    with pytest.raises(SpecError, match=r"field 'choices' has 2 texts but 1 labels"):
        parse_arc_row(_row({**HF, "choices": {"text": ["a", "b"], "label": ["A"]}}))
    with pytest.raises(SpecError, match=r"field 'question.choices' must be a list"):
        parse_arc_row(_row({**ORIGINAL, "question": {"stem": "Q", "choices": "A"}}))


def test_arc_formats_are_registered_with_their_publication() -> None:
    for name in ("arc", "arc_challenge", "arc_easy"):
        assert FORMATS[name].parser is parse_arc_row
        assert FORMATS[name].default_split == "test"
    assert "ARC-Easy" in FORMATS["arc_easy"].published
    assert "ARC-Challenge" in FORMATS["arc_challenge"].published


@pytest.mark.parametrize(
    ("fmt", "source", "ids"),
    [
        (
            "arc_challenge",
            "arc/ARC-Challenge-Test.jsonl",
            ["Mercury_0001", "Mercury_0002", "NYSEDREGENTS_0003", "Mercury_0004"],
        ),
        ("arc_easy", "arc/ARC-Easy-Test.jsonl", ["Mercury_E01", "Mercury_E02", "MCAS_E03"]),
    ],
)
def test_fixtures_load(fmt: str, source: str, ids: list[str]) -> None:
    ds = load_dataset(DatasetSpec(format=fmt, source=source), FIXTURES)  # type: ignore[arg-type]
    assert [s.id for s in ds.samples] == ids
    assert all(len(s.choices) == len(s.labels) and s.gold for s in ds.samples)
