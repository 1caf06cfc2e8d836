"""The open_qa format (evalspec's own): judged questions with reference and rubric."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.ids import content_id
from evalspec.data.open_qa import parse_open_qa_row
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.jsonl:1", line=1, fields=fields)


def test_row_with_reference_rubric_and_tags() -> None:
    sample, derived = parse_open_qa_row(
        _row(
            {
                "id": "q",
                "question": "Why?",
                "reference": "Because.",
                "rubric": "Says because.",
                "tags": {"topic": "x"},
                "level": 2,
            }
        )
    )
    assert not derived
    assert (sample.id, sample.prompt, sample.target) == ("q", "Why?", "Because.")
    assert sample.meta == {"reference": "Because.", "rubric": "Says because.", "level": 2}
    assert sample.tags == {"topic": "x"}


def test_minimal_row_has_content_id_and_empty_target() -> None:
    sample, derived = parse_open_qa_row(_row({"question": "Why?", "reference": None}))
    assert derived and sample.id == content_id("Why?")
    assert (sample.target, sample.meta, sample.tags) == ("", {}, {})


def test_bad_rows_name_the_field() -> None:
    with pytest.raises(SpecError, match=r"f\.jsonl:1: missing required field 'question'"):
        parse_open_qa_row(_row({"prompt": "Why?"}))
    with pytest.raises(SpecError, match=r"field 'rubric' must be a string or a number"):
        parse_open_qa_row(_row({"question": "Why?", "rubric": ["a"]}))


def test_fixture_loads() -> None:
    ds = load_dataset(DatasetSpec(format="open_qa", source="open_qa/questions.jsonl"), FIXTURES)
    assert [s.id for s in ds.samples] == ["sky", "plants", "greeting"]
    assert "rubric" not in ds.samples[1].meta
    assert ds.samples[2].target == "" and ds.samples[2].meta["rubric"]
    assert [s.tags["topic"] for s in ds.samples] == ["physics", "biology", "writing"]
