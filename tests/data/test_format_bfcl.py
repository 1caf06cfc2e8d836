"""The bfcl format: BFCL v3 questions joined with their possible answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.bfcl import DEFAULT_SYSTEM_PROMPT, category_of, parse_bfcl_row
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FUNCTION: dict[str, Any] = {
    "name": "set_timer",
    "description": "Set a timer.",
    "parameters": {"type": "dict", "properties": {"minutes": {"type": "integer"}}},
}
TRUTH = [{"set_timer": {"minutes": [15]}}]
ROW: dict[str, Any] = {
    "id": "simple_3",
    "question": [[{"role": "user", "content": "Set a timer for 15 minutes."}]],
    "function": [FUNCTION],
    "ground_truth": TRUTH,
}


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.json:1", line=1, fields=fields)


@pytest.mark.parametrize(
    ("sample_id", "category"),
    [
        ("simple_3", "simple"),
        ("live_multiple_3-2-1", "live_multiple"),
        ("parallel_multiple_10", "parallel_multiple"),
        ("odd", "odd"),
    ],
)
def test_category_of(sample_id: str, category: str) -> None:
    assert category_of(sample_id) == category


def test_row_prompt_meta_tags_and_system_prompt() -> None:
    sample, derived = parse_bfcl_row(_row(ROW))
    assert not derived
    assert (sample.id, sample.prompt, sample.target, sample.turns) == (
        "simple_3",
        "Set a timer for 15 minutes.",
        "",
        (),
    )
    assert sample.tags == {"category": "simple"}
    assert sample.meta["functions"] == [FUNCTION]  # as given: the hint is prompt-only
    assert sample.meta["ground_truth"] == TRUTH
    system = sample.meta["system_prompt"]
    assert system.startswith("You are an expert in composing functions.")
    assert "[func_name1(params_name1=params_value1, params_name2=params_value2...)" in system
    hinted = {**FUNCTION, "description": "Set a timer. Note that the provided function is in "
              "Python 3 syntax."}  # fmt: skip
    assert system == DEFAULT_SYSTEM_PROMPT.format(functions=[hinted])
    assert system.endswith(f"invoke.\n{[hinted]}\n\n")


def test_string_question_system_message_java_hint_and_json_strings() -> None:
    fields = {
        "id": "java_4",
        "question": '[[{"role": "system", "content": "Be brief."}, '
        '{"role": "user", "content": "Go."}]]',
        "function": '[{"name": "f", "description": "F.", "parameters": {}}]',
        "ground_truth": '[{"f": {}}]',
    }
    sample, _ = parse_bfcl_row(_row(fields))
    assert sample.prompt == "Go."
    assert sample.meta["ground_truth"] == [{"f": {}}]
    assert (
        "F. Note that the provided function is in Java 8 SDK syntax."
        in sample.meta["system_prompt"]
    )
    assert sample.meta["system_prompt"].endswith("\n\n\n\nBe brief.")
    plain, _ = parse_bfcl_row(_row({**ROW, "question": "Just text"}))
    assert plain.prompt == "Just text"


def test_later_turns_become_turns() -> None:
    question = [[{"role": "user", "content": "One."}], [{"role": "user", "content": "Two."}]]
    sample, _ = parse_bfcl_row(_row({**ROW, "question": question}))
    assert (sample.prompt, sample.turns) == ("One.", ("Two.",))


def test_missing_ground_truth_says_to_set_answers() -> None:
    fields = {k: v for k, v in ROW.items() if k != "ground_truth"}
    with pytest.raises(SpecError, match=r"f\.json:1: has no 'ground_truth': set dataset.answers"):
        parse_bfcl_row(_row(fields))
    irrelevance, _ = parse_bfcl_row(_row({**fields, "id": "irrelevance_2"}))
    assert irrelevance.meta["ground_truth"] == []
    with pytest.raises(SpecError, match=r"category 'live_relevance' has no possible answers"):
        parse_bfcl_row(_row({**fields, "id": "live_relevance_1-1-0"}))


def test_bad_rows_name_the_field() -> None:
    with pytest.raises(SpecError, match=r"field 'function' must be a list of JSON function"):
        parse_bfcl_row(_row({**ROW, "function": 3}))
    with pytest.raises(SpecError, match=r"field 'ground_truth' must be a list"):
        parse_bfcl_row(_row({**ROW, "ground_truth": {"set_timer": {}}}))
    with pytest.raises(SpecError, match=r"field 'question' has no user message"):
        parse_bfcl_row(_row({**ROW, "question": [[{"role": "assistant", "content": "x"}]]}))
    with pytest.raises(SpecError, match=r"field 'function' has a doc without a string 'name'"):
        parse_bfcl_row(_row({**ROW, "function": [{"description": "x"}]}))


def test_fixture_loads_joined_with_its_possible_answers() -> None:
    spec = DatasetSpec(
        format="bfcl",
        source="bfcl/BFCL_v3_simple.json",
        answers="bfcl/possible_answer/BFCL_v3_simple.json",
    )
    ds = load_dataset(spec, FIXTURES)
    assert [s.id for s in ds.samples] == ["simple_0", "simple_1", "simple_2", "simple_3"]
    assert ds.samples[0].meta["ground_truth"] == [
        {"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}
    ]
    assert all(s.tags == {"category": "simple"} for s in ds.samples)


def test_fixture_without_answers_is_an_error() -> None:
    with pytest.raises(SpecError, match=r"BFCL_v3_simple\.json:1: has no 'ground_truth'"):
        load_dataset(DatasetSpec(format="bfcl", source="bfcl/BFCL_v3_simple.json"), FIXTURES)
