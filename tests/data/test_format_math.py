"""The math format: Hendrycks MATH (original files, MATH-500), boxed answers, tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.hendrycks_math import last_boxed, parse_math_row
from evalspec.data.ids import content_id
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.jsonl:1", line=1, fields=fields)


@pytest.mark.parametrize(
    ("solution", "answer"),
    [
        ("so $x = \\boxed{7}$.", "7"),
        ("first \\boxed{1}, finally \\boxed{\\frac{3}{4}}.", "\\frac{3}{4}"),
        ("nested \\boxed{\\sqrt{2^{3}}} done", "\\sqrt{2^{3}}"),
        ("old style \\fbox{12}", "12"),
        ("the answer is $\\boxed 5$.", "5"),
        ("no box here", None),
        ("unbalanced \\boxed{3", None),
    ],
)
def test_last_boxed(solution: str, answer: str | None) -> None:
    assert last_boxed(solution) == answer


def test_original_row_target_tags_meta_and_content_id() -> None:
    fields = {
        "problem": "What is $1+1$?",
        "level": "Level 1",
        "type": "Algebra",
        "solution": "$1+1=\\boxed{2}$",
    }
    sample, derived = parse_math_row(_row(fields))
    assert derived
    assert sample.id == content_id("What is $1+1$?")
    assert (sample.prompt, sample.target) == ("What is $1+1$?", "2")
    assert sample.tags == {"level": "Level 1", "type": "Algebra"}
    assert sample.meta == {"solution": "$1+1=\\boxed{2}$"}


def test_math500_row_uses_answer_unique_id_subject_and_int_level() -> None:
    sample, derived = parse_math_row(
        _row(
            {
                "problem": "P",
                "solution": "\\boxed{wrong}",
                "answer": " 9 ",
                "subject": "Geometry",
                "level": 4,
                "unique_id": "test/geometry/1.json",
            }
        )
    )
    assert not derived
    assert (sample.id, sample.target) == ("test/geometry/1.json", "9")
    assert sample.tags == {"level": "Level 4", "type": "Geometry"}


def test_solution_without_box_is_an_error() -> None:
    with pytest.raises(SpecError, match=r"f\.jsonl:1: field 'solution' has no \\boxed"):
        parse_math_row(_row({"problem": "P", "solution": "it is 3"}))


def test_original_directory_fixture_loads_every_type() -> None:
    ds = load_dataset(DatasetSpec(format="math", source="math/original"), FIXTURES)
    assert sorted(s.target for s in ds.samples) == ["2", "7", "\\frac{3}{4}"]
    assert {s.tags["type"] for s in ds.samples} == {"Algebra", "Prealgebra", "Number Theory"}


def test_math500_fixture_loads() -> None:
    ds = load_dataset(DatasetSpec(format="math", source="math/math500/test.jsonl"), FIXTURES)
    assert [s.target for s in ds.samples] == ["32", "7", "\\frac{9}{2}", "4"]
    assert ds.samples[0].id == "test/prealgebra/101.json"
    assert ds.samples[0].tags == {"level": "Level 1", "type": "Prealgebra"}
