"""The truthfulqa_mc1 / truthfulqa_mc2 formats: original mc_task.json and HF layouts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.formats import FORMATS
from evalspec.data.ids import content_id
from evalspec.data.rows import Row
from evalspec.data.truthfulqa import (
    QA_PRIMER,
    parse_truthfulqa_mc1_row,
    parse_truthfulqa_mc2_row,
)
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ORIGINAL: dict[str, Any] = {
    "question": "Is the Moon made of cheese?",
    "mc1_targets": {"No, it is made of rock.": 1, "Yes.": 0},
    "mc2_targets": {"No, it is made of rock.": 1, "No.": 1, "Yes.": 0},
}
HF: dict[str, Any] = {
    "question": "Is the Moon made of cheese?",
    "mc1_targets": {"choices": ["No, it is made of rock.", "Yes."], "labels": [1, 0]},
    "mc2_targets": {"choices": ["No, it is made of rock.", "No.", "Yes."], "labels": [1, 1, 0]},
}


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.json:item 0", line=0, fields=fields, unit="item")


def test_primer_is_lm_evals_six_shot_qa_prompt() -> None:
    assert QA_PRIMER.startswith(
        "Q: What is human life expectancy in the United States?\n"
        "A: Human life expectancy in the United States is 78 years.\n\n"
    )
    assert QA_PRIMER.count("Q: ") == 6
    assert QA_PRIMER.endswith("A: The 1992 Olympics were held in Barcelona, Spain.")


@pytest.mark.parametrize("fields", [ORIGINAL, HF], ids=["original", "hf"])
def test_mc1_and_mc2_from_either_layout(fields: dict[str, Any]) -> None:
    mc1, derived = parse_truthfulqa_mc1_row(_row(fields))
    mc2, _ = parse_truthfulqa_mc2_row(_row(fields))
    assert derived and mc1.id == mc2.id == content_id("Is the Moon made of cheese?")
    assert mc1.prompt == QA_PRIMER + "\n\nQ: Is the Moon made of cheese?\nA:"
    assert (mc1.choices, mc1.gold, mc1.target) == (("No, it is made of rock.", "Yes."), (0,), "A")
    assert mc2.choices == ("No, it is made of rock.", "No.", "Yes.")
    assert mc2.gold == (0, 1)


def test_bad_targets_are_errors() -> None:
    with pytest.raises(SpecError, match=r"f\.json:item 0: field 'mc1_targets' marks 2 answers"):
        parse_truthfulqa_mc1_row(_row({**ORIGINAL, "mc1_targets": {"a": 1, "b": 1}}))
    with pytest.raises(SpecError, match=r"field 'mc2_targets' marks no answer as true"):
        parse_truthfulqa_mc2_row(_row({**ORIGINAL, "mc2_targets": {"a": 0, "b": 0}}))
    with pytest.raises(SpecError, match=r"field 'mc1_targets.labels' must be a list of 0/1"):
        parse_truthfulqa_mc1_row(
            _row({**HF, "mc1_targets": {"choices": ["a", "b"], "labels": [1]}})
        )
    with pytest.raises(SpecError, match=r"field 'mc1_targets' has label 'yes'"):
        parse_truthfulqa_mc1_row(_row({**ORIGINAL, "mc1_targets": {"a": "yes", "b": 0}}))


@pytest.mark.parametrize("fmt", ["truthfulqa_mc1", "truthfulqa_mc2"])
def test_fixture_loads(fmt: str) -> None:
    assert FORMATS[fmt].default_split == "validation"
    spec = DatasetSpec(format=fmt, source="truthfulqa/mc_task.json")  # type: ignore[arg-type]
    ds = load_dataset(spec, FIXTURES)
    assert len(ds.samples) == 3
    assert all(s.gold[0] == 0 for s in ds.samples)
    if fmt == "truthfulqa_mc2":
        assert [s.gold for s in ds.samples] == [(0, 1), (0, 1), (0,)]
