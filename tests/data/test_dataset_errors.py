"""Every way a dataset can be wrong ends in a SpecError (exit 2) that says where and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalspec.data import load_dataset
from evalspec.errors import EXIT_USAGE, SpecError
from evalspec.spec.models import DatasetFormat, DatasetSpec


def _load(
    tmp_path: Path, content: str, fmt: DatasetFormat = "jsonl", name: str = "d.jsonl"
) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    load_dataset(DatasetSpec(format=fmt, source=name), tmp_path)


def test_missing_file_names_resolved_path_source_and_base_dir(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        load_dataset(DatasetSpec(format="jsonl", source="data/missing.jsonl"), tmp_path)
    assert str(err.value) == (
        f"dataset source not found: {tmp_path / 'data/missing.jsonl'} "
        f"(from 'data/missing.jsonl' relative to {tmp_path}); "
        "put the file there or fix dataset.source"
    )
    assert err.value.exit_code == EXIT_USAGE


def test_unknown_builtin_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(
        SpecError, match=r"unknown builtin dataset 'builtin:gsm8k'.*builtin:humaneval"
    ):
        load_dataset(DatasetSpec(format="gsm8k", source="builtin:gsm8k"), tmp_path)


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"d\.jsonl:2: invalid JSON") as err:
        _load(tmp_path, '{"prompt": "a", "target": "b"}\n{"prompt": oops}\n')
    assert str(tmp_path / "d.jsonl") in str(err.value)


def test_non_object_line_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"d\.jsonl:1: expected a JSON object, got list"):
        _load(tmp_path, "[1, 2]\n")


def test_missing_prompt_names_line_field_and_alternatives(tmp_path: Path) -> None:
    with pytest.raises(
        SpecError, match=r"d\.jsonl:3: missing required field 'prompt' \(or 'question', 'input'\)"
    ):
        _load(tmp_path, '{"prompt": "a", "target": "b"}\n\n{"text": "a", "target": "b"}\n')


def test_missing_target_names_line_and_field(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"d\.jsonl:1: missing required field 'target'"):
        _load(tmp_path, '{"prompt": "a"}\n')


def test_non_text_field_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"d\.jsonl:1: field 'target' must be a string or a number"):
        _load(tmp_path, '{"prompt": "a", "target": [1]}\n')


def test_duplicate_explicit_ids_name_both_lines(tmp_path: Path) -> None:
    rows = [{"id": "x", "prompt": "a", "target": "1"}, {"id": "x", "prompt": "b", "target": "2"}]
    with pytest.raises(
        SpecError, match=r"d\.jsonl:2: duplicate sample id 'x' \(first at line 1\)$"
    ):
        _load(tmp_path, "".join(json.dumps(r) + "\n" for r in rows))


def test_duplicate_derived_ids_explain_the_same_prompt(tmp_path: Path) -> None:
    rows = [{"prompt": "same", "target": "1"}, {"prompt": "same", "target": "2"}]
    with pytest.raises(SpecError, match=r"d\.jsonl:2: duplicate sample id .*same prompt"):
        _load(tmp_path, "".join(json.dumps(r) + "\n" for r in rows))


def test_gsm8k_row_without_final_answer_marker(tmp_path: Path) -> None:
    with pytest.raises(
        SpecError, match=r"d\.jsonl:1: field 'answer' has no final answer after '####'"
    ):
        _load(tmp_path, '{"question": "q", "answer": "it is 4"}\n', fmt="gsm8k")


def test_gsm8k_row_without_question(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"d\.jsonl:1: missing required field 'question'"):
        _load(tmp_path, '{"prompt": "q", "answer": "#### 4"}\n', fmt="gsm8k")


def test_humaneval_row_without_test(tmp_path: Path) -> None:
    row = {"task_id": "T/0", "prompt": "def f():\n", "canonical_solution": "", "entry_point": "f"}
    with pytest.raises(SpecError, match=r"d\.jsonl:1: missing required field 'test'"):
        _load(tmp_path, json.dumps(row) + "\n", fmt="humaneval")


def test_wrong_suffix_is_rejected_with_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        _load(tmp_path, '{"prompt": "a", "target": "b"}\n', name="d.txt")
    assert str(err.value) == (
        f"dataset source {tmp_path / 'd.txt'} is not a supported data file; supported: "
        ".jsonl, .jsonl.gz, .json, .json.gz, .csv, .csv.gz, .parquet, .arrow "
        "(convert it, e.g. to JSON Lines: one object per line)"
    )


def test_corrupt_gzip_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"d\.jsonl\.gz: not a readable gzip file"):
        _load(tmp_path, "plain text", name="d.jsonl.gz")


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"the dataset has no rows"):
        _load(tmp_path, "\n")


def test_non_utf8_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_bytes(b'{"prompt": "a", "target": "b"}\n{"prompt": "\xff"}\n')
    with pytest.raises(SpecError, match=r"d\.jsonl:2: not UTF-8 text"):
        load_dataset(DatasetSpec(format="jsonl", source="d.jsonl"), tmp_path)


def test_tag_field_missing_names_the_row_and_the_setting(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text(
        '{"prompt": "a", "target": "b", "level": 1}\n{"prompt": "c", "target": "d"}\n', "utf-8"
    )
    with pytest.raises(SpecError) as err:
        load_dataset(DatasetSpec(format="jsonl", source="d.jsonl", tags=["level"]), tmp_path)
    assert (
        str(err.value) == f"{tmp_path / 'd.jsonl'}:2: missing field 'level' named in dataset.tags"
    )


def test_cluster_field_missing_names_the_row_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(
        SpecError, match=r"d\.jsonl:1: missing field 'passage' named in dataset\.cluster$"
    ):
        (tmp_path / "d.jsonl").write_text('{"prompt": "a", "target": "b"}\n', "utf-8")
        load_dataset(DatasetSpec(format="jsonl", source="d.jsonl", cluster="passage"), tmp_path)


def test_duplicate_ids_across_files_name_the_first_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / "test" / name).write_text(
            '{"id": "x", "prompt": "p", "target": "t"}\n', "utf-8"
        )
    with pytest.raises(SpecError) as err:
        load_dataset(DatasetSpec(format="jsonl", source="."), tmp_path)
    assert str(err.value) == (
        f"{tmp_path / 'test' / 'b.jsonl'}:1: duplicate sample id 'x' "
        f"(first at {tmp_path / 'test' / 'a.jsonl'}:1)"
    )


def test_duplicate_ids_in_a_json_list_name_the_items(tmp_path: Path) -> None:
    rows = [{"id": "x", "prompt": "a", "target": "1"}, {"id": "x", "prompt": "b", "target": "2"}]
    with pytest.raises(
        SpecError, match=r"d\.json:item 1: duplicate sample id 'x' \(first at item 0\)$"
    ):
        _load(tmp_path, json.dumps(rows), name="d.json")


def test_empty_directory_split_source_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "test.json").write_text("[]", "utf-8")
    with pytest.raises(SpecError) as err:
        load_dataset(DatasetSpec(format="jsonl", source="."), tmp_path)
    assert str(err.value) == f"{tmp_path / 'test.json'}: the dataset has no rows"
