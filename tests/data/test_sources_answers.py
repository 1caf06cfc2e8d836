"""dataset.answers: a second file joined to the rows on `id` (BFCL's possible_answer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalspec.data import load_dataset
from evalspec.data.formats import FORMATS, FormatInfo
from evalspec.data.rows import Row
from evalspec.data.types import Sample
from evalspec.digests import sha256_bytes
from evalspec.errors import SpecError
from evalspec.spec.models import DatasetSpec

BFCL = Path(__file__).resolve().parent.parent / "fixtures" / "sources" / "bfcl"
ANSWERS = "possible_answer/BFCL_v3_simple.json"


def _function_call_row(row: Row) -> tuple[Sample, bool]:
    """A stand-in BFCL parser: the first user turn as prompt, the rest as meta."""
    _, sample_id = row.text("id")
    prompt = row.fields["question"][0][0]["content"]
    meta = {k: v for k, v in row.fields.items() if k not in ("id", "question")}
    return Sample(id=sample_id, prompt=prompt, meta=meta), False


@pytest.fixture(autouse=True)
def bfcl_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(FORMATS, "jsonl", FormatInfo(_function_call_row))


def _spec(answers: str = ANSWERS) -> DatasetSpec:
    return DatasetSpec(format="jsonl", source="BFCL_v3_simple.json", answers=answers)


def test_answers_are_joined_on_id_whatever_their_order() -> None:
    ds = load_dataset(_spec(), BFCL)
    assert [s.id for s in ds.samples] == ["simple_0", "simple_1"]
    assert ds.samples[1].meta["ground_truth"] == [{"math.factorial": {"number": [5]}}]
    assert ds.samples[0].meta["function"][0]["name"] == "calculate_triangle_area"


def test_digest_and_source_cover_the_answers_file() -> None:
    ds = load_dataset(_spec(), BFCL)
    data = sha256_bytes((BFCL / "BFCL_v3_simple.json").read_bytes())
    answers = sha256_bytes((BFCL / ANSWERS).read_bytes())
    lines = f"{data} BFCL_v3_simple.json\n{answers} BFCL_v3_simple.json\n"
    assert ds.digest == sha256_bytes(lines.encode("utf-8"))
    assert ds.source == f"{BFCL / 'BFCL_v3_simple.json'} + answers {BFCL / ANSWERS}"


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_a_row_without_an_answer_names_its_line(tmp_path: Path) -> None:
    _write(tmp_path / "BFCL_v3_simple.json", [{"id": "a", "question": [[{"content": "q"}]]}])
    _write(tmp_path / "answers.json", [{"id": "b", "ground_truth": []}])
    with pytest.raises(SpecError) as err:
        load_dataset(_spec("answers.json"), tmp_path)
    assert str(err.value) == (
        f"{tmp_path / 'BFCL_v3_simple.json'}:1: no answer with id 'a' in the answers file"
    )


def test_answer_file_errors(tmp_path: Path) -> None:
    _write(tmp_path / "BFCL_v3_simple.json", [{"id": "a", "question": [[{"content": "q"}]]}])
    _write(tmp_path / "answers.json", [{"id": "a", "ground_truth": []}, {"ground_truth": []}])
    with pytest.raises(SpecError, match=r"answers\.json:2: the answer row has no 'id' field"):
        load_dataset(_spec("answers.json"), tmp_path)
    _write(tmp_path / "answers.json", [{"id": "a", "ground_truth": []}, {"id": "a"}])
    with pytest.raises(
        SpecError, match=r"answers\.json:2: duplicate answer id 'a' \(first at .*answers\.json:1\)"
    ):
        load_dataset(_spec("answers.json"), tmp_path)
    _write(tmp_path / "answers.json", [{"id": "a", "question": "other"}])
    with pytest.raises(
        SpecError, match=r"simple\.json:1: field 'question' differs from its answer's"
    ):
        load_dataset(_spec("answers.json"), tmp_path)
    with pytest.raises(SpecError, match=r"dataset source not found: .*missing\.json"):
        load_dataset(_spec("missing.json"), tmp_path)
