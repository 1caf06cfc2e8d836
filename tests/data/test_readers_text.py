"""Reading JSON and CSV files (plain or gzipped) into located rows."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from evalspec.data.readers import data_stem, is_data_file, read_rows
from evalspec.errors import SpecError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
MMLU_COLUMNS = ("question", "A", "B", "C", "D", "answer")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_json_list_gives_one_row_per_item_located_by_item(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.json", json.dumps([{"q": "a"}, {"q": "b"}]))
    rows = read_rows(path)
    assert [r.fields for r in rows.rows] == [{"q": "a"}, {"q": "b"}]
    assert [r.where for r in rows.rows] == [f"{path}:item 0", f"{path}:item 1"]
    assert rows.rows[1].position == "item 1"
    assert rows.digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_json_object_of_objects_adds_the_key_as_field() -> None:
    rows = read_rows(FIXTURES / "pubmedqa_ori_pqal.json").rows
    assert [r.fields["_key"] for r in rows] == ["21645374", "16418930"]
    assert rows[1].fields["final_decision"] == "no"
    assert rows[1].where.endswith("pubmedqa_ori_pqal.json:item 1 (key '16418930')")


def test_json_object_with_one_list_of_objects_gives_its_items(tmp_path: Path) -> None:
    doc = {"version": "1.0", "data": [{"q": "a"}, {"q": "b"}]}
    rows = read_rows(_write(tmp_path / "d.json", json.dumps(doc))).rows
    assert [r.fields for r in rows] == [{"q": "a"}, {"q": "b"}]


def test_json_object_without_records_is_one_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.json", '\n\n{\n"problem": "p",\n"level": "Level 2"}\n')
    rows = read_rows(path).rows
    assert [r.fields for r in rows] == [{"problem": "p", "level": "Level 2"}]
    assert rows[0].where == f"{path}:3"


def test_json_lines_under_a_json_name_are_read_as_json_lines() -> None:
    rows = read_rows(FIXTURES / "bfcl" / "BFCL_v3_simple.json").rows
    assert [r.fields["id"] for r in rows] == ["simple_0", "simple_1"]
    assert rows[1].where.endswith("BFCL_v3_simple.json:2")


def test_json_errors_name_the_location(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"d\.json:3: invalid JSON: Expecting value"):
        read_rows(_write(tmp_path / "d.json", '[\n{"a": 1},\n oops]'))
    with pytest.raises(SpecError, match=r"d\.json:item 1: expected a JSON object, got int"):
        read_rows(_write(tmp_path / "d.json", '[{"a": 1}, 2]'))
    with pytest.raises(SpecError, match=r"d\.json: expected a JSON list or object .* got str"):
        read_rows(_write(tmp_path / "d.json", '"text"'))
    with pytest.raises(SpecError, match=r"several lists of records \('a', 'b'\)"):
        read_rows(_write(tmp_path / "d.json", '{"a": [{}], "b": [{}]}'))


def test_gzipped_json_and_csv_are_read_and_digested_compressed(tmp_path: Path) -> None:
    path = tmp_path / "d.json.gz"
    path.write_bytes(gzip.compress(b'[{"q": "a"}]'))
    rows = read_rows(path)
    assert rows.rows[0].fields == {"q": "a"}
    assert rows.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    csv_path = tmp_path / "d.csv.gz"
    csv_path.write_bytes(gzip.compress(b"q,a\nx,y\n"))
    assert read_rows(csv_path).rows[0].fields == {"q": "x", "a": "y"}


def test_csv_with_header_gives_dict_rows_located_by_line(tmp_path: Path) -> None:
    text = '\ufeffquestion,answer\n"two\nlines",1\n\nq2,2\n'
    rows = read_rows(_write(tmp_path / "d.csv", text)).rows
    assert [r.fields for r in rows] == [
        {"question": "two\nlines", "answer": "1"},
        {"question": "q2", "answer": "2"},
    ]
    assert [r.line for r in rows] == [2, 5]
    assert rows[1].where == f"{tmp_path / 'd.csv'}:5"


def test_headerless_csv_uses_the_format_columns() -> None:
    path = FIXTURES / "mmlu" / "data" / "test" / "abstract_algebra_test.csv"
    rows = read_rows(path, csv_columns=MMLU_COLUMNS).rows
    assert len(rows) == 2
    assert rows[0].fields == {
        "question": "Find the degree of Q(sqrt(2)) over Q.",
        "A": "0",
        "B": "2",
        "C": "4",
        "D": "6",
        "answer": "C",
    }
    assert rows[1].where == f"{path}:2"


def test_headerless_csv_skips_a_header_row_equal_to_the_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", "question,A,B,C,D,answer\nq,1,2,3,4,A\n")
    rows = read_rows(path, csv_columns=MMLU_COLUMNS).rows
    assert [r.fields["question"] for r in rows] == ["q"]
    assert rows[0].line == 2


def test_csv_errors_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        read_rows(_write(tmp_path / "d.csv", "q,1,2,3,4,A\nq2,1,2\n"), csv_columns=MMLU_COLUMNS)
    assert str(err.value) == (
        f"{tmp_path / 'd.csv'}:2: 3 values, expected 6 (columns: question, A, B, C, D, answer)"
    )
    with pytest.raises(SpecError, match=r"d\.csv:1: the CSV header repeats column\(s\) a"):
        read_rows(_write(tmp_path / "d.csv", "a,b,a\n1,2,3\n"))
    (tmp_path / "d.csv").write_bytes(b"a,b\n1,2\n\xff,3\n")
    with pytest.raises(SpecError, match=r"d\.csv:3: not UTF-8 text"):
        read_rows(tmp_path / "d.csv")


def test_unsupported_suffix_lists_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"not a supported data file; supported: \.jsonl, "):
        read_rows(_write(tmp_path / "d.tsv", "a\tb\n"))


def test_data_file_names() -> None:
    assert data_stem(Path("abstract_algebra_test.csv")) == "abstract_algebra_test"
    assert data_stem(Path("d.JSONL.gz")) == "d"
    assert is_data_file(Path("test-00000-of-00001.parquet"))
    assert not is_data_file(Path("dataset_info.json"))
    assert not is_data_file(Path("README.md"))
