"""The pubmedqa format: ori_pqal.json (keyed by PMID), bigbio and qiaojin layouts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.ids import content_id
from evalspec.data.pubmedqa import parse_pubmedqa_row
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROMPT = "Abstract: First part.\nSecond part.\nQuestion: Does it work?\nAnswer:"
ORIGINAL: dict[str, Any] = {
    "_key": "123",
    "QUESTION": "Does it work?",
    "CONTEXTS": ["First part.", "Second part."],
    "LABELS": ["METHODS", "RESULTS"],
    "final_decision": "maybe",
    "LONG_ANSWER": "Perhaps.",
}


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.json:item 0 (key '123')", line=0, fields=fields, unit="item")


def test_original_row() -> None:
    sample, derived = parse_pubmedqa_row(_row(ORIGINAL))
    assert not derived
    assert (sample.id, sample.prompt, sample.target) == ("123", PROMPT, "maybe")
    assert sample.choices == sample.labels == ("yes", "no", "maybe")
    assert sample.gold == (2,)
    assert sample.meta == {"LABELS": ["METHODS", "RESULTS"], "long_answer": "Perhaps."}


def test_qiaojin_layout_gives_the_same_prompt() -> None:
    sample, _ = parse_pubmedqa_row(
        _row(
            {
                "pubid": 123,
                "question": "Does it work?",
                "context": {"contexts": ["First part.", "Second part."], "labels": ["A", "B"]},
                "long_answer": "Perhaps.",
                "final_decision": "maybe",
            }
        )
    )
    assert (sample.id, sample.prompt, sample.gold) == ("123", PROMPT, (2,))
    assert sample.meta == {"long_answer": "Perhaps."}


def test_bigbio_layout_without_a_pmid_gets_a_content_id() -> None:
    fields = {k: v for k, v in ORIGINAL.items() if k != "_key"}
    sample, derived = parse_pubmedqa_row(_row(fields))
    assert derived and sample.id == content_id("Does it work?")


def test_bad_rows_name_the_field() -> None:
    with pytest.raises(SpecError, match=r"field 'final_decision' is 'perhaps'.*yes, no, maybe"):
        parse_pubmedqa_row(_row({**ORIGINAL, "final_decision": "perhaps"}))
    with pytest.raises(SpecError, match=r"field 'CONTEXTS' must be a list of strings"):
        parse_pubmedqa_row(_row({**ORIGINAL, "CONTEXTS": "one"}))
    with pytest.raises(SpecError, match=r"missing required field 'QUESTION' \(or 'question'\)"):
        parse_pubmedqa_row(_row({"_key": "1", "CONTEXTS": ["c"], "final_decision": "yes"}))


def test_original_json_fixture_loads_keyed_by_pmid() -> None:
    ds = load_dataset(DatasetSpec(format="pubmedqa", source="pubmedqa/ori_pqal.json"), FIXTURES)
    assert [s.id for s in ds.samples] == ["10000001", "10000002", "10000003"]
    assert [s.target for s in ds.samples] == ["yes", "no", "maybe"]
    assert ds.samples[0].prompt.startswith("Abstract: Forty adults drank 500 ml")
