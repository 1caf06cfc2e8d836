"""The generic jsonl format's optional tags, cluster and multiple-choice fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.jsonl import parse_jsonl_row
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.jsonl:1", line=1, fields=fields)


def test_tags_and_cluster_leave_meta() -> None:
    sample, _ = parse_jsonl_row(
        _row({"prompt": "P", "target": "T", "tags": {"d": 3}, "cluster": "c", "x": 1})
    )
    assert (sample.tags, sample.cluster, sample.meta) == ({"d": "3"}, "c", {"x": 1})


def test_choices_with_gold_index_default_letters_and_target() -> None:
    sample, _ = parse_jsonl_row(_row({"prompt": "P", "choices": ["a", "b", "c"], "gold": 1}))
    assert (sample.choices, sample.gold, sample.target) == (("a", "b", "c"), (1,), "B")
    assert sample.option_labels() == ("A", "B", "C")


def test_several_gold_labels_and_explicit_target() -> None:
    sample, _ = parse_jsonl_row(
        _row({"prompt": "P", "choices": ["a", "b"], "gold": [1, 0], "labels": ["x", "y"]})
    )
    assert (sample.gold, sample.labels, sample.target) == ((0, 1), ("x", "y"), "x")
    explicit, _ = parse_jsonl_row(
        _row({"prompt": "P", "choices": ["a", "b"], "gold": 0, "answer": "a"})
    )
    assert explicit.target == "a" and "answer" not in explicit.meta


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"choices": ["a", "b"]}, r"missing required field 'gold'"),
        ({"choices": ["a", "b"], "gold": 2}, r"field 'gold' is 2, out of range: it must be 0 to 1"),
        ({"choices": ["a", "b"], "gold": []}, r"field 'gold' is an empty list"),
        ({"choices": ["a", "b"], "gold": 0, "labels": ["x"]}, r"field 'labels' has 1 labels"),
        ({"choices": "ab", "gold": 0}, r"field 'choices' must be a list of strings, got str"),
        ({"gold": 0, "target": "t"}, r"field 'gold' needs a 'choices' list"),
        ({"target": "t", "tags": "easy"}, r"field 'tags' must be a JSON object, got str"),
        ({"target": "t", "tags": {"a": [1]}}, r"field 'tags.a' must be a string or a number"),
        ({"target": "t", "cluster": {"a": 1}}, r"field 'cluster' must be a string or a number"),
    ],
)
def test_bad_extras_name_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=r"f\.jsonl:1: " + message):
        parse_jsonl_row(_row({"prompt": "P", **fields}))


def test_fixture_loads() -> None:
    ds = load_dataset(DatasetSpec(format="jsonl", source="jsonl/choices_tags.jsonl"), FIXTURES)
    first, second, third, fourth = ds.samples
    assert (first.choices, first.gold, first.target) == (("green", "purple"), (0,), "A")
    assert (second.gold, second.target, second.tags) == ((0, 2), "a", {"difficulty": "2"})
    assert (third.cluster, fourth.cluster, third.choices) == ("tom", "tom", ())
    assert fourth.meta == {"source": "handmade"} and fourth.tags == {}
