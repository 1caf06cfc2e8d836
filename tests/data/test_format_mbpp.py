"""The mbpp format: full and sanitized layouts, lm-eval prompt, check() tests that run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalspec.data import load_dataset
from evalspec.data.mbpp import check_function, entry_point, parse_mbpp_row
from evalspec.data.rows import Row
from evalspec.errors import SpecError
from evalspec.scoring.code_exec import score_code
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

FULL: dict[str, Any] = {
    "task_id": 7,
    "text": "Write a function to add two numbers.",
    "code": "def add_nums(a, b):\r\n    return a + b",
    "test_list": ["assert add_nums(1, 2) == 3", "assert add_nums(0, 0) == 0"],
    "test_setup_code": "",
    "challenge_test_list": [],
}


def _row(fields: dict[str, Any]) -> Row:
    return Row(where="f.jsonl:1", line=1, fields=fields)


def test_full_layout_prompt_target_id_and_meta() -> None:
    sample, derived = parse_mbpp_row(_row(FULL))
    assert not derived
    assert sample.id == "mbpp/7"
    assert sample.prompt == (
        "You are an expert Python programmer, and here is your task: Write a function to add "
        "two numbers. Your code should pass these tests:\n\n"
        "assert add_nums(1, 2) == 3\nassert add_nums(0, 0) == 0\n"
    )
    assert sample.target == FULL["code"]
    assert sample.meta["entry_point"] == "add_nums"
    assert sample.meta["prompt"] == ""
    assert sample.meta["test"] == (
        "def check(candidate):\n"
        "    add_nums = candidate\n"
        "    assert add_nums(1, 2) == 3\n"
        "    assert add_nums(0, 0) == 0\n"
    )
    assert sample.meta["challenge_test_list"] == []


def test_sanitized_layout_uses_prompt_and_test_imports() -> None:
    sample, _ = parse_mbpp_row(
        _row(
            {
                "source_file": "x.ipynb",
                "task_id": 12,
                "prompt": "Write a function for the area of a circle.",
                "code": "import math\ndef circle_area(r):\n    return math.pi * r * r",
                "test_imports": ["import math"],
                "test_list": ["assert math.isclose(circle_area(1), math.pi)"],
            }
        )
    )
    assert sample.id == "mbpp/12"
    assert "here is your task: Write a function for the area of a circle. Your" in sample.prompt
    assert sample.meta["prompt"] == "import math\n"
    assert sample.meta["test"].startswith("def check(candidate):\n    import math\n")
    assert sample.meta["source_file"] == "x.ipynb"


def test_entry_point_is_the_called_function_not_a_helper() -> None:
    code = "def _twice(x):\n    return 2 * x\n\ndef double_all(xs):\n    return list(xs)"
    assert entry_point(code, ["assert double_all([1]) == [2]"]) == "double_all"
    assert entry_point(code, ["assert math.isclose(double_all([1])[0], 2)"]) == "double_all"


def test_star_imports_are_hoisted_out_of_check() -> None:
    test = check_function("f", "from math import *\nX = 2", ["assert f(X) == 4"])
    assert test.startswith("from math import *\n\ndef check(candidate):\n    X = 2\n")
    compile(test, "test.py", "exec")


def test_asserts_calling_no_defined_function_are_an_error() -> None:
    with pytest.raises(SpecError, match=r"f\.jsonl:1: field 'test_list' calls no function"):
        parse_mbpp_row(_row({**FULL, "test_list": ["assert other(1) == 1"]}))


def test_missing_or_bad_fields_name_the_field() -> None:
    with pytest.raises(SpecError, match=r"missing required field 'text' \(or 'prompt'\)"):
        parse_mbpp_row(_row({k: v for k, v in FULL.items() if k != "text"}))
    with pytest.raises(SpecError, match=r"field 'test_list' must be a list of strings"):
        parse_mbpp_row(_row({**FULL, "test_list": "assert add_nums(1, 2) == 3"}))


def test_full_fixture_loads_with_stable_ids() -> None:
    ds = load_dataset(DatasetSpec(format="mbpp", source="mbpp/mbpp.jsonl"), FIXTURES)
    assert [s.id for s in ds.samples] == [f"mbpp/{i}" for i in range(1, 6)]
    assert ds.samples[3].meta["prompt"] == "import math\n"
    assert ds.samples[4].meta["entry_point"] == "double_all"


def test_sanitized_json_fixture_loads() -> None:
    ds = load_dataset(DatasetSpec(format="mbpp", source="mbpp/sanitized-mbpp.json"), FIXTURES)
    assert [s.id for s in ds.samples] == ["mbpp/11", "mbpp/12", "mbpp/13"]


@pytest.mark.parametrize("source", ["mbpp/mbpp.jsonl", "mbpp/sanitized-mbpp.json"])
def test_reference_code_passes_and_a_wrong_solution_fails(source: str) -> None:
    samples = load_dataset(DatasetSpec(format="mbpp", source=source), FIXTURES).samples
    right = [f"```python\n{s.target}\n```" for s in samples]
    wrong = [f"def {s.meta['entry_point']}(*args):\n    return None\n" for s in samples]
    scores = score_code([*samples, *samples], [*right, *wrong], isolation="auto")
    assert [s.value for s in scores] == [1.0] * len(samples) + [0.0] * len(samples)
