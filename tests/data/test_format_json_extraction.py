"""The json_extraction format (evalspec's own): text, target object, optional schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.json_extraction import parse_json_extraction_row
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.jsonl:1", line=1, fields=fields)


def test_default_instruction_target_and_meta() -> None:
    schema = {"type": "object", "required": ["name"]}
    target = {"name": "Anna", "age": 31}
    fields = {"id": "p1", "text": "Anna, 31.", "target": target, "schema": schema, "x": "y"}
    sample, derived = parse_json_extraction_row(_row(fields))
    assert not derived
    assert sample.prompt == (
        "Extract the following fields from the text as a JSON object: name, age."
        "\n\nText:\nAnna, 31."
    )
    assert sample.target == '{"age": 31, "name": "Anna"}'
    assert sample.meta == {"target": target, "schema": schema, "x": "y"}


def test_own_instruction_tags_cluster_and_content_id() -> None:
    sample, derived = parse_json_extraction_row(
        _row(
            {
                "text": "T",
                "target": {"a": 1},
                "instruction": "Give a.",
                "tags": {"domain": "x", "n": 2},
                "cluster": 7,
            }
        )
    )
    assert derived and len(sample.id) == 12
    assert sample.prompt == "Give a.\n\nText:\nT"
    assert (sample.tags, sample.cluster) == ({"domain": "x", "n": "2"}, "7")


def test_bad_rows_name_the_field() -> None:
    with pytest.raises(SpecError, match=r"f\.jsonl:1: field 'target' must be a JSON object"):
        parse_json_extraction_row(_row({"text": "T", "target": "a"}))
    with pytest.raises(SpecError, match=r"field 'target' is an empty object"):
        parse_json_extraction_row(_row({"text": "T", "target": {}}))
    with pytest.raises(SpecError, match=r"field 'schema' must be a JSON object, got list"):
        parse_json_extraction_row(_row({"text": "T", "target": {"a": 1}, "schema": []}))
    with pytest.raises(SpecError, match=r"field 'tags' must be a JSON object"):
        parse_json_extraction_row(_row({"text": "T", "target": {"a": 1}, "tags": ["x"]}))


def test_fixture_loads() -> None:
    spec = DatasetSpec(format="json_extraction", source="json_extraction/extract.jsonl")
    ds = load_dataset(spec, FIXTURES)
    assert [s.id for s in ds.samples] == ["person-1", "order-1", "invoice-1", "invoice-2"]
    assert "schema" in ds.samples[0].meta and "schema" not in ds.samples[1].meta
    assert ds.samples[2].prompt.startswith("Return the vendor, total and currency")
    assert [s.cluster for s in ds.samples] == [None, None, "acme", "acme"]
    assert ds.samples[3].tags == {"domain": "finance"}
