"""The mmlu format: original header-less CSVs and the cais/mmlu layout."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.formats import FORMATS
from evalspec.data.ids import content_id
from evalspec.data.mmlu import parse_mmlu_row
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROMPT = "What is 7 + 5?\nA. 10\nB. 11\nC. 12\nD. 13\nAnswer:"


def _row(fields: dict[str, Any], file: str = "") -> Row:
    return Row(where="f.csv:1", line=1, fields=fields, file=file)


def test_csv_row_with_file_stem_subject() -> None:
    fields = {"question": " What is 7 + 5? ", "A": "10", "B": "11", "C": "12", "D": "13"}
    sample, derived = parse_mmlu_row(
        _row({**fields, "answer": "C", "_file": "elementary_mathematics_test"})
    )
    assert derived
    assert sample.prompt == PROMPT
    assert (sample.choices, sample.gold, sample.target) == (("A", "B", "C", "D"), (2,), "C")
    assert sample.tags == {"subject": "elementary_mathematics"}
    assert sample.meta == {"options": ["10", "11", "12", "13"]}
    assert sample.id == "elementary_mathematics/" + content_id("What is 7 + 5?\n10\n11\n12\n13")


def test_hf_row_and_csv_row_of_the_same_question_agree() -> None:
    hf, _ = parse_mmlu_row(
        _row(
            {
                "question": "What is 7 + 5?",
                "subject": "elementary_mathematics",
                "choices": ["10", "11", "12", "13"],
                "answer": 2,
            }
        )
    )
    csv, _ = parse_mmlu_row(
        _row(
            {"question": "What is 7 + 5?", "A": "10", "B": "11", "C": "12", "D": "13"}
            | {"answer": "C"},
            file="data/test/elementary_mathematics_test.csv",
        )
    )
    assert hf == csv


def test_bad_answers_and_choices_are_errors() -> None:
    base = {"question": "Q", "A": "1", "B": "2", "C": "3", "D": "4"}
    with pytest.raises(SpecError, match=r"f\.csv:1: field 'answer' is 'E'.*one of A, B, C, D"):
        parse_mmlu_row(_row({**base, "answer": "E"}))
    with pytest.raises(SpecError, match=r"field 'answer' is 4, out of range: it must be 0 to 3"):
        parse_mmlu_row(_row({"question": "Q", "choices": ["a", "b", "c", "d"], "answer": 4}))
    with pytest.raises(SpecError, match=r"field 'choices' must have 4 options, got 5"):
        parse_mmlu_row(_row({"question": "Q", "choices": list("abcde"), "answer": 0}))
    with pytest.raises(SpecError, match=r"missing required field 'D'"):
        parse_mmlu_row(_row({"question": "Q", "A": "1", "B": "2", "C": "3", "answer": "A"}))


def test_format_declares_the_csv_columns_and_test_split() -> None:
    info = FORMATS["mmlu"]
    assert info.csv_columns == ("question", "A", "B", "C", "D", "answer")
    assert info.default_split == "test"


def test_csv_directory_fixture_loads_with_subjects_from_file_names() -> None:
    ds = load_dataset(DatasetSpec(format="mmlu", source="mmlu"), FIXTURES)
    assert [s.tags["subject"] for s in ds.samples] == ["elementary_mathematics"] * 3 + [
        "high_school_geography"
    ] * 2
    assert ds.samples[0].prompt == PROMPT
    assert [s.target for s in ds.samples] == ["C", "B", "A", "C", "B"]
    assert all(s.id.startswith(s.tags["subject"] + "/") for s in ds.samples)


def test_dev_split_files_get_their_subjects_five_rows_each() -> None:
    ds = load_dataset(DatasetSpec(format="mmlu", source="mmlu", split="dev"), FIXTURES)
    assert [s.tags["subject"] for s in ds.samples] == ["elementary_mathematics"] * 5 + [
        "high_school_geography"
    ] * 5


def test_preamble_is_lm_evals_subject_description() -> None:
    fields = {"question": "Q", "choices": ["1", "2", "3", "4"], "answer": 0}
    sample, _ = parse_mmlu_row(_row({**fields, "subject": "high_school_geography"}))
    assert sample.preamble == (
        "The following are multiple choice questions (with answers) about "
        "high school geography.\n\n"
    )
    assert sample.prompt == "Q\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer:"  # the preamble stays apart
    no_subject, _ = parse_mmlu_row(_row({"question": "Q", "choices": list("abcd"), "answer": 1}))
    assert (no_subject.tags, no_subject.preamble) == ({}, "")


def test_changed_prompts_change_the_dataset_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    """mmlu is at revision 2 (the description opens its prompts): its digest differs from
    the files' own, so units over it get new hashes and miss the response cache."""
    spec = DatasetSpec(format="mmlu", source="mmlu")
    revised = load_dataset(spec, FIXTURES).digest
    assert FORMATS["mmlu"].revision == 2
    monkeypatch.setitem(FORMATS, "mmlu", dataclasses.replace(FORMATS["mmlu"], revision=1))
    files_only = load_dataset(spec, FIXTURES).digest
    assert revised != files_only
    assert len(revised) == len(files_only) == 64
