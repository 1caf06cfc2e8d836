"""Loading the generic jsonl format and local file sources."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from evalspec.data import load_dataset
from evalspec.data.ids import content_id
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_arith_fixture_loads_in_file_order_with_ids_targets_and_meta() -> None:
    ds = load_dataset(DatasetSpec(format="jsonl", source="arith_mini.jsonl"), FIXTURES)
    assert [s.id for s in ds.samples] == ["add-1", "sub-1", "mul-1", "div-1", "word-1"]
    assert ds.samples[0].prompt == "What is 2 + 3? Answer with the number only."
    assert [s.target for s in ds.samples] == ["5", "6", "42", "4.5", "three"]
    assert ds.samples[0].meta == {"op": "add"}
    assert ds.source == str(FIXTURES / "arith_mini.jsonl")


def test_digest_is_sha256_of_the_source_file_bytes() -> None:
    ds = load_dataset(DatasetSpec(format="jsonl", source="arith_mini.jsonl"), FIXTURES)
    expected = hashlib.sha256((FIXTURES / "arith_mini.jsonl").read_bytes()).hexdigest()
    assert ds.digest == expected


def test_alternative_keys_question_answer_and_input_output_are_accepted(tmp_path: Path) -> None:
    _write(
        tmp_path / "d.jsonl",
        [
            {"id": "a", "question": "Q1", "answer": "A1"},
            {"id": "b", "input": "Q2", "output": "A2", "source": "web"},
        ],
    )
    ds = load_dataset(DatasetSpec(format="jsonl", source="d.jsonl"), tmp_path)
    assert [(s.prompt, s.target) for s in ds.samples] == [("Q1", "A1"), ("Q2", "A2")]
    assert ds.samples[1].meta == {"source": "web"}


def test_rows_without_id_get_a_stable_id_from_the_prompt(tmp_path: Path) -> None:
    _write(
        tmp_path / "d.jsonl",
        [{"prompt": "What is 1+1?", "target": 2}, {"prompt": "P2", "target": "x"}],
    )
    first = load_dataset(DatasetSpec(format="jsonl", source="d.jsonl"), tmp_path)
    again = load_dataset(DatasetSpec(format="jsonl", source="d.jsonl"), tmp_path)
    assert first.samples[0].id == content_id("What is 1+1?")
    assert first.samples[0].id == hashlib.sha256(b"What is 1+1?").hexdigest()[:12]
    assert [s.id for s in first.samples] == [s.id for s in again.samples]
    assert first.samples[0].target == "2"


def test_numeric_ids_become_text(tmp_path: Path) -> None:
    _write(tmp_path / "d.jsonl", [{"id": 7, "prompt": "P", "target": "T"}])
    ds = load_dataset(DatasetSpec(format="jsonl", source="d.jsonl"), tmp_path)
    assert ds.samples[0].id == "7"


def test_gzip_file_and_absolute_path_are_read(tmp_path: Path) -> None:
    data = b'{"id": "g", "prompt": "P", "target": "T"}\n\n'
    path = tmp_path / "sub" / "d.jsonl.gz"
    path.parent.mkdir()
    path.write_bytes(gzip.compress(data))
    ds = load_dataset(DatasetSpec(format="jsonl", source=str(path)), Path("/nonexistent"))
    assert [s.id for s in ds.samples] == ["g"]
    assert ds.digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text('\n{"prompt": "P", "target": "T"}\n\n  \n', encoding="utf-8")
    ds = load_dataset(DatasetSpec(format="jsonl", source="d.jsonl"), tmp_path)
    assert len(ds.samples) == 1


def test_spec_tags_replace_the_parser_tags_with_row_fields_as_text(tmp_path: Path) -> None:
    _write(
        tmp_path / "d.jsonl",
        [
            {"prompt": "P1", "target": "1", "level": 3, "type": "Algebra"},
            {"prompt": "P2", "target": "2", "level": 5, "type": "Geometry"},
        ],
    )
    spec = DatasetSpec(format="jsonl", source="d.jsonl", tags=["type", "level"])
    ds = load_dataset(spec, tmp_path)
    assert [s.tags for s in ds.samples] == [
        {"type": "Algebra", "level": "3"},
        {"type": "Geometry", "level": "5"},
    ]
    assert [s.cluster for s in ds.samples] == [None, None]


def test_spec_cluster_names_the_row_field(tmp_path: Path) -> None:
    _write(
        tmp_path / "d.jsonl",
        [
            {"prompt": "P1", "target": "1", "passage": 17},
            {"prompt": "P2", "target": "2", "passage": 17},
        ],
    )
    ds = load_dataset(DatasetSpec(format="jsonl", source="d.jsonl", cluster="passage"), tmp_path)
    assert [s.cluster for s in ds.samples] == ["17", "17"]
    assert [s.tags for s in ds.samples] == [{}, {}]


def test_file_stem_is_a_tag_field_for_directory_sources(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    _write(tmp_path / "test" / "algebra.jsonl", [{"prompt": "P1", "target": "1"}])
    _write(tmp_path / "test" / "geometry.jsonl", [{"prompt": "P2", "target": "2"}])
    spec = DatasetSpec(format="jsonl", source=".", tags=["_file"])
    ds = load_dataset(spec, tmp_path)
    assert [s.tags for s in ds.samples] == [{"_file": "algebra"}, {"_file": "geometry"}]
