"""The json scorer: extraction, validity, JSON Schema and target-field metrics."""

from __future__ import annotations

from typing import Any

import pytest

from evalspec.scoring.json_match import (
    JSON_METRICS,
    extract_json,
    json_score,
    mismatch,
)
from evalspec.spec.json_schemas import check_schema

SCHEMA = {
    "type": "object",
    "required": ["name", "age"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
}


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("  [1, 2]\n", [1, 2]),
        ('Here you go:\n```json\n{"a": 2}\n```\nAnything else?', {"a": 2}),
        ('```\n{"a": 3}\n```', {"a": 3}),
        ('```python\nx = 1\n```\n```json\n{"a": 4}\n```', {"a": 4}),
        ('Sure! {"a": "x } y {"} Hope it helps.', {"a": "x } y {"}),
        ('As noted in [1], the result is {"a": 5}.', {"a": 5}),
        ('The list: [{"a": 6}] done', [{"a": 6}]),
    ],
)
def test_extract_json(output: str, expected: Any) -> None:
    assert extract_json(output) == (expected, None)


@pytest.mark.parametrize(
    ("output", "error"),
    [
        ('{"a": 1,}', "invalid JSON"),
        ('Result: {"a": {"b": 1},} end', "invalid JSON"),  # the inner object does not count
        ('```json\n{"a": 1,}\n```', "invalid JSON"),
        ("no json here", "no JSON found"),
        ('{"a": 1', "invalid JSON"),
    ],
)
def test_extract_json_failures(output: str, error: str) -> None:
    value, why = extract_json(output)
    assert value is None
    assert why is not None and why.startswith(error)


def test_metrics_names() -> None:
    assert JSON_METRICS == ("field_match", "json_valid", "schema_valid", "exact_match")


def test_target_fields_match_with_lenient_comparisons() -> None:
    target = {"name": "Ann", "age": 30, "tags": ["x", "y"], "addr": {"city": "Paris"}, "pop": 1000}
    output = (
        'Answer: {"name": " ann ", "age": 30.0, "tags": ["X", "y"],'
        ' "addr": {"city": "paris", "zip": 1}, "pop": "1,000", "extra": true}'
    )
    score = json_score(output, target=target, schema=None)
    assert score.value == 1.0
    assert score.values == {"json_valid": 1.0, "field_match": 1.0, "exact_match": 1.0}
    assert score.detail is None


def test_partial_field_match_names_first_mismatch() -> None:
    target = {"name": "Ann", "age": 30, "tags": ["x", "y"], "city": "Paris"}
    output = '{"name": "Ann", "age": 31, "tags": ["y", "x"]}'
    score = json_score(output, target=target, schema=None)
    assert score.value == 0.25
    assert score.values["exact_match"] == 0.0
    assert score.detail == "age: expected 30, got 31"


def test_schema_valid_and_invalid() -> None:
    good = json_score('{"name": "a", "age": 3}', target=None, schema=SCHEMA)
    assert good.values == {"json_valid": 1.0, "schema_valid": 1.0}
    assert good.value == 1.0
    bad = json_score('{"name": "a", "age": "three"}', target=None, schema=SCHEMA)
    assert bad.values == {"json_valid": 1.0, "schema_valid": 0.0}
    assert bad.value == 1.0  # the primary value without a target is json_valid
    assert bad.detail == "schema: 'three' is not of type 'integer' at age"


def test_schema_draft_from_dollar_schema() -> None:
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}]}
    assert json_score("[1]", target=None, schema=draft7).values["schema_valid"] == 0.0
    assert json_score('["a"]', target=None, schema=draft7).values["schema_valid"] == 1.0


def test_no_schema_omits_schema_valid() -> None:
    score = json_score('{"a": 1}', target={"a": 1}, schema=None)
    assert "schema_valid" not in score.values


def test_invalid_json_zeroes_every_metric() -> None:
    score = json_score('{"name": "a", "age": 3,}', target={"name": "a"}, schema=SCHEMA)
    assert score.values == {
        "json_valid": 0.0,
        "schema_valid": 0.0,
        "field_match": 0.0,
        "exact_match": 0.0,
    }
    assert score.value == 0.0
    assert score.extracted is None
    assert score.detail is not None and score.detail.startswith("invalid JSON")


def test_non_object_against_a_target() -> None:
    score = json_score("[1, 2]", target={"a": 1}, schema=None)
    assert (score.value, score.values["json_valid"]) == (0.0, 1.0)
    assert score.detail == "expected an object, got list"


@pytest.mark.parametrize(
    ("got", "want", "same"),
    [
        (1, 1.0, True),
        ("1,000", 1000, True),
        (1000, "1,000", True),
        (" Paris ", "paris", True),
        (True, 1, False),
        (1, True, False),
        (None, None, True),
        ("", None, False),
        ([1, "A"], [1.0, "a"], True),
        ([1, 2], [2, 1], False),
        ([1], [1, 2], False),
        ({"a": {"b": "X"}, "c": 0}, {"a": {"b": "x"}}, True),
        ({"a": {"b": "X"}}, {"a": {"b": "y"}}, False),
    ],
)
def test_value_comparison(got: Any, want: Any, same: bool) -> None:
    assert (mismatch(got, want, "f") is None) is same


def test_nested_mismatch_path() -> None:
    assert mismatch({"a": [{"b": 1}]}, {"a": [{"b": 2}]}, "") == "a[0].b: expected 2, got 1"
    assert mismatch({"a": {}}, {"a": {"b": 2}}, "") == "a.b: missing"


def test_check_schema_rejects_a_bad_schema() -> None:
    check_schema(SCHEMA)
    with pytest.raises(ValueError, match="invalid JSON Schema"):
        check_schema({"type": 5})
