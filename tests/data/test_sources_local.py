"""Local sources: a file, or a directory's files of the requested split (and config)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.ipc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from evalspec.data import load_dataset
from evalspec.data.formats import FORMATS
from evalspec.data.sources import directory_files, resolve_source
from evalspec.errors import EXIT_USAGE, SpecError
from evalspec.spec.models import DatasetSpec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
MMLU_COLUMNS = ("question", "A", "B", "C", "D", "answer")
RECORDS: list[dict[str, Any]] = [{"prompt": "p0", "target": "t0"}, {"prompt": "p1", "target": "t1"}]


def write_parquet(path: Path, records: list[dict[str, Any]]) -> None:
    pq.write_table(pa.Table.from_pylist(records), path)


def write_arrow_stream(path: Path, records: list[dict[str, Any]]) -> None:
    """The Arrow IPC stream format `datasets` writes with save_to_disk."""
    table = pa.Table.from_pylist(records)
    with pa.OSFile(str(path), "wb") as sink, pyarrow.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)


@pytest.fixture
def mmlu_columns(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The jsonl format reading header-less CSVs as MMLU's (question ... answer)."""
    info = dataclasses.replace(FORMATS["jsonl"], csv_columns=MMLU_COLUMNS)
    monkeypatch.setitem(FORMATS, "jsonl", info)
    yield


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"prompt": "p", "target": "t"}\n', encoding="utf-8")


def _relative(root: Path, files: list[Path]) -> list[str]:
    return [str(p.relative_to(root)) for p in files]


def test_a_file_is_read_as_is_whatever_the_split(tmp_path: Path) -> None:
    _touch(tmp_path, "train.jsonl")
    found = resolve_source("train.jsonl", tmp_path, split="test")
    assert found.files == (tmp_path / "train.jsonl",)
    assert found.display == str(tmp_path / "train.jsonl")
    assert not found.label_files


def test_directory_split_by_file_name_token(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "data/train-00000-of-00001.jsonl",
        "data/test-00000-of-00002.jsonl",
        "data/test-00001-of-00002.jsonl",
        "data/contest.jsonl",
        "README.md",
    )
    assert _relative(tmp_path, directory_files(tmp_path, "test")) == [
        "data/test-00000-of-00002.jsonl",
        "data/test-00001-of-00002.jsonl",
    ]
    assert _relative(tmp_path, directory_files(tmp_path, "train")) == [
        "data/train-00000-of-00001.jsonl"
    ]


def test_split_as_a_directory_and_underscore_tokens_mmlu_layout() -> None:
    root = FIXTURES / "mmlu"
    assert _relative(root, directory_files(root, "test")) == [
        "data/test/abstract_algebra_test.csv",
        "data/test/anatomy_test.csv",
    ]
    _touch_root = root / "data" / "dev"
    assert directory_files(root, "dev") == [_touch_root / "abstract_algebra_dev.csv"]


def test_underscore_tokens_are_a_fallback_after_exact_tokens(tmp_path: Path) -> None:
    _touch(tmp_path, "validation_matched.jsonl", "validation.jsonl", "astro_test.jsonl")
    assert _relative(tmp_path, directory_files(tmp_path, "validation")) == ["validation.jsonl"]
    assert _relative(tmp_path, directory_files(tmp_path, "validation_matched")) == [
        "validation_matched.jsonl"
    ]
    assert _relative(tmp_path, directory_files(tmp_path, "test")) == ["astro_test.jsonl"]


def test_config_selects_a_subdirectory(tmp_path: Path) -> None:
    _touch(tmp_path, "main/test-00000-of-00001.jsonl", "socratic/test-00000-of-00001.jsonl")
    assert _relative(tmp_path, directory_files(tmp_path, "test", "socratic")) == [
        "socratic/test-00000-of-00001.jsonl"
    ]


def test_split_in_several_config_directories_asks_for_a_config(tmp_path: Path) -> None:
    _touch(tmp_path, "main/test.jsonl", "socratic/test.jsonl")
    with pytest.raises(SpecError) as err:
        directory_files(tmp_path, "test")
    assert str(err.value) == (
        f"{tmp_path}: split 'test' is in several directories (main, socratic); "
        "set dataset.config to the one to read"
    )


def test_unknown_config_lists_the_configurations(tmp_path: Path) -> None:
    _touch(tmp_path, "main/test.jsonl", "socratic/test.jsonl")
    with pytest.raises(SpecError) as err:
        directory_files(tmp_path, "test", "all")
    assert str(err.value) == (
        f"{tmp_path} has no configuration 'all' (no directory {tmp_path / 'all'}); "
        "configurations: main, socratic; fix dataset.config"
    )


def test_the_only_data_file_is_used_whatever_its_name(tmp_path: Path) -> None:
    _touch(tmp_path, "problems.jsonl", ".cache/huggingface/test.jsonl")
    (tmp_path / "dataset_info.json").write_text("{}", encoding="utf-8")
    assert directory_files(tmp_path, "test") == [tmp_path / "problems.jsonl"]


def test_no_file_for_the_split_names_the_split_and_the_files(tmp_path: Path) -> None:
    _touch(tmp_path, "train.jsonl", "dev.jsonl")
    with pytest.raises(SpecError) as err:
        directory_files(tmp_path, "test")
    assert str(err.value) == (
        f"{tmp_path} has no data file for split 'test' (a file or directory named after it, "
        "e.g. test.jsonl or test/...); its data files: dev.jsonl, train.jsonl; "
        "set dataset.split or dataset.config, or point dataset.source at a file"
    )


def test_directory_without_data_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hi", encoding="utf-8")
    with pytest.raises(SpecError, match=r"holds no data files \(supported: \.jsonl, "):
        directory_files(tmp_path, "test")


def test_save_to_disk_dataset_dict_reads_the_split_directory(tmp_path: Path) -> None:
    (tmp_path / "dataset_dict.json").write_text('{"splits": ["train", "test"]}', "utf-8")
    for split in ("train", "test"):
        (tmp_path / split).mkdir()
        (tmp_path / split / "state.json").write_text("{}", "utf-8")
        write_arrow_stream(tmp_path / split / "data-00000-of-00002.arrow", RECORDS)
        write_arrow_stream(tmp_path / split / "data-00001-of-00002.arrow", RECORDS)
    assert _relative(tmp_path, directory_files(tmp_path, "test")) == [
        "test/data-00000-of-00002.arrow",
        "test/data-00001-of-00002.arrow",
    ]
    with pytest.raises(SpecError) as err:
        directory_files(tmp_path, "validation")
    assert str(err.value) == (
        f"{tmp_path} (a saved DatasetDict) has no split 'validation' "
        f"({tmp_path / 'validation'}/data-*.arrow); splits: train, test; set dataset.split"
    )


def test_save_to_disk_dataset_reads_its_arrow_files_whatever_the_split(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{}", "utf-8")
    (tmp_path / "dataset_info.json").write_text("{}", "utf-8")
    write_arrow_stream(tmp_path / "data-00000-of-00001.arrow", RECORDS)
    assert directory_files(tmp_path, "train") == [tmp_path / "data-00000-of-00001.arrow"]


def test_mmlu_directory_rows_get_the_file_stem(mmlu_columns: None) -> None:
    ds = load_dataset(DatasetSpec(format="jsonl", source="mmlu"), FIXTURES)
    assert [s.meta["_file"] for s in ds.samples] == [
        "abstract_algebra_test",
        "abstract_algebra_test",
        "anatomy_test",
    ]
    assert [s.target for s in ds.samples] == ["C", "B", "A"]
    assert ds.samples[2].prompt == "Which bone is\nin the thigh?"
    assert ds.source == f"{FIXTURES / 'mmlu'} [split 'test', 2 files]"


def test_split_argument_overrides_the_spec_split(mmlu_columns: None) -> None:
    spec = DatasetSpec(format="jsonl", source="mmlu", split="test")
    ds = load_dataset(spec, FIXTURES, split="dev")
    assert [s.prompt for s in ds.samples] == ["How many elements does Z_5 have?"]
    assert "_file" not in ds.samples[0].meta  # one file: no `_file`
    assert ds.source == str(FIXTURES / "mmlu" / "data" / "dev" / "abstract_algebra_dev.csv")


def test_directory_digest_covers_every_file(tmp_path: Path) -> None:
    _touch(tmp_path, "a/test.jsonl")
    (tmp_path / "a" / "test-2.jsonl").write_text('{"prompt": "q", "target": "t"}\n', "utf-8")
    spec = DatasetSpec(format="jsonl", source="a", split="test")
    before = load_dataset(spec, tmp_path).digest
    (tmp_path / "a" / "test-2.jsonl").write_text('{"prompt": "q", "target": "u"}\n', "utf-8")
    assert load_dataset(spec, tmp_path).digest != before


def test_parquet_directory_source_loads(tmp_path: Path) -> None:
    rows = [{"id": f"r{i}", "question": f"q{i}", "answer": str(i)} for i in range(3)]
    (tmp_path / "data").mkdir()
    write_parquet(tmp_path / "data" / "test-00000-of-00001.parquet", rows)
    write_parquet(tmp_path / "data" / "train-00000-of-00001.parquet", rows[:1])
    ds = load_dataset(DatasetSpec(format="jsonl", source="."), tmp_path)
    assert [(s.id, s.prompt, s.target) for s in ds.samples] == [
        ("r0", "q0", "0"),
        ("r1", "q1", "1"),
        ("r2", "q2", "2"),
    ]


def test_missing_directory_source_is_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        load_dataset(DatasetSpec(format="jsonl", source="nowhere/"), tmp_path)
    assert err.value.exit_code == EXIT_USAGE
    assert "dataset source not found" in str(err.value)


def test_json_rows_of_a_save_to_disk_listing_are_not_data(tmp_path: Path) -> None:
    _touch(tmp_path, "test.jsonl")
    (tmp_path / "state.json").write_text(json.dumps({"_data_files": []}), "utf-8")
    assert directory_files(tmp_path, "test") == [tmp_path / "test.jsonl"]


def test_linked_split_directories_are_followed(tmp_path: Path) -> None:
    _touch(tmp_path, "elsewhere/abstract_algebra_test.jsonl")
    (tmp_path / "mmlu").mkdir()
    (tmp_path / "mmlu" / "test").symlink_to(tmp_path / "elsewhere")
    found = directory_files(tmp_path / "mmlu", "test")
    assert found == [tmp_path / "mmlu" / "test" / "abstract_algebra_test.jsonl"]
