"""hf:OWNER/NAME sources: datasets already in the local Hugging Face caches, read offline.

The caches are built here in tmp_path with the real layouts: the hub cache
(`datasets--OWNER--NAME/{refs,snapshots,blobs}`, snapshot files linked to blobs) and the
`datasets` library cache (`OWNER___NAME/<config>/<version>/<hash>/<name>-<split>.arrow`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.ipc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from evalspec.data import load_dataset
from evalspec.data.hub import datasets_cache_dir, hub_cache_dir, hub_snapshot
from evalspec.data.sources import resolve_source
from evalspec.errors import EXIT_USAGE, SpecError
from evalspec.spec.models import DatasetSpec

ENV_VARS = (
    "HF_HOME",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "HF_DATASETS_CACHE",
    "XDG_CACHE_HOME",
)


def _records(prefix: str, n: int = 2) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}-{i}", "prompt": f"{prefix} q{i}", "target": str(i)} for i in range(n)]


@pytest.fixture
def hf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(home))
    return home


def _snapshot(home: Path, repo: str, revision: str, files: dict[str, list[dict[str, Any]]]) -> Path:
    """A hub-cache snapshot whose files are links to content-addressed blobs."""
    repo_dir = home / "hub" / ("datasets--" + repo.replace("/", "--"))
    snapshot = repo_dir / "snapshots" / revision
    (repo_dir / "blobs").mkdir(parents=True, exist_ok=True)
    for name, records in files.items():
        staged = repo_dir / "staged.parquet"
        pq.write_table(pa.Table.from_pylist(records), staged)
        blob = repo_dir / "blobs" / hashlib.sha256(staged.read_bytes()).hexdigest()
        staged.replace(blob)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return snapshot


def _set_ref(home: Path, repo: str, revision: str) -> None:
    ref = home / "hub" / ("datasets--" + repo.replace("/", "--")) / "refs" / "main"
    ref.parent.mkdir(parents=True, exist_ok=True)
    ref.write_text(revision, encoding="utf-8")


def _prepared(directory: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    """A `datasets` cache directory of prepared Arrow (IPC stream) files."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dataset_info.json").write_text("{}", encoding="utf-8")
    for name, records in files.items():
        table = pa.Table.from_pylist(records)
        with (
            pa.OSFile(str(directory / name), "wb") as sink,
            pyarrow.ipc.new_stream(sink, table.schema) as writer,
        ):
            writer.write_table(table)
    return directory


def test_cache_locations_follow_the_environment(
    hf_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert hub_cache_dir() == hf_home / "hub"
    assert datasets_cache_dir() == hf_home / "datasets"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub2"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "ds2"))
    assert hub_cache_dir() == tmp_path / "hub2"
    assert datasets_cache_dir() == tmp_path / "ds2"
    monkeypatch.delenv("HF_HOME")
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub_cache_dir() == tmp_path / "xdg" / "huggingface" / "hub"


def test_hub_snapshot_named_by_refs_main_with_config_and_split(hf_home: Path) -> None:
    files = {
        "all/test-00000-of-00001.parquet": _records("all"),
        "all/dev-00000-of-00001.parquet": _records("dev"),
        "anatomy/test-00000-of-00001.parquet": _records("anatomy", 1),
    }
    snapshot = _snapshot(hf_home, "cais/mmlu", "abc123", files)
    _snapshot(hf_home, "cais/mmlu", "zzz999", {"all/test-00000-of-00001.parquet": _records("x")})
    _set_ref(hf_home, "cais/mmlu", "abc123")
    spec = DatasetSpec(format="jsonl", source="hf:cais/mmlu", config="all")
    ds = load_dataset(spec, Path("/nonexistent"))
    assert [s.id for s in ds.samples] == ["all-0", "all-1"]
    assert ds.source == f"hf:cais/mmlu: {snapshot / 'all' / 'test-00000-of-00001.parquet'}"
    dev = load_dataset(spec, Path("/nonexistent"), split="dev")
    assert [s.id for s in dev.samples] == ["dev-0", "dev-1"]


def _touch_files(snapshot: Path, when: int) -> None:
    """Set the modification time of a snapshot's files (through the links: their blobs)."""
    for path in snapshot.rglob("*"):
        if path.is_file():
            os.utime(path, (when, when))


def test_without_refs_main_the_newest_snapshot_is_read(hf_home: Path) -> None:
    """Newest as huggingface_hub's scan_cache_dir sees it: by its files' modification times."""
    new = _snapshot(hf_home, "openai/gsm8k", "new", {"main/test.parquet": _records("new")})
    old = _snapshot(hf_home, "openai/gsm8k", "old", {"main/test.parquet": _records("old")})
    _touch_files(old, 1_000_000)
    _touch_files(new, 2_000_000)
    found = resolve_source("hf:openai/gsm8k", Path("."), split="test", config="main")
    assert found.files == (new / "main" / "test.parquet",)


def test_refs_main_wins_over_a_newer_snapshot(hf_home: Path) -> None:
    named = _snapshot(hf_home, "openai/gsm8k", "r1", {"main/test.parquet": _records("named")})
    newer = _snapshot(hf_home, "openai/gsm8k", "r2", {"main/test.parquet": _records("newer")})
    _touch_files(named, 1_000_000)
    _touch_files(newer, 2_000_000)
    _set_ref(hf_home, "openai/gsm8k", "r1")
    found = resolve_source("hf:openai/gsm8k", Path("."), split="test", config="main")
    assert found.files == (named / "main" / "test.parquet",)


def test_model_repos_in_the_hub_cache_are_not_datasets(hf_home: Path) -> None:
    """A model repo of the same name (models--OWNER--NAME) is no dataset snapshot."""
    model = hf_home / "hub" / "models--openai--gsm8k" / "snapshots" / "m1"
    model.mkdir(parents=True)
    (model / "test.parquet").write_bytes(b"not read")
    repo_dir, snapshot = hub_snapshot("openai/gsm8k")
    assert (repo_dir, snapshot) == (hf_home / "hub" / "datasets--openai--gsm8k", None)


def test_hub_snapshot_with_several_configs_asks_for_one(hf_home: Path) -> None:
    files = {"main/test.parquet": _records("m"), "socratic/test.parquet": _records("s")}
    snapshot = _snapshot(hf_home, "openai/gsm8k", "r1", files)
    _set_ref(hf_home, "openai/gsm8k", "r1")
    with pytest.raises(SpecError) as err:
        resolve_source("hf:openai/gsm8k", Path("."), split="test")
    message = str(err.value)
    assert message.startswith(
        "hf:openai/gsm8k (split 'test'): no files to read in the local cache: "
    )
    assert f"{snapshot}: split 'test' is in several directories (main, socratic)" in message
    assert "huggingface-cli" not in message


def test_datasets_library_cache_arrow_files(hf_home: Path) -> None:
    prepared = _prepared(
        hf_home / "datasets" / "cais___mmlu" / "all" / "0.0.0" / "3b8dd5f2b5b1",
        {
            "mmlu-test-00000-of-00002.arrow": _records("a"),
            "mmlu-test-00001-of-00002.arrow": _records("b"),
            "mmlu-validation.arrow": _records("v"),
        },
    )
    spec = DatasetSpec(format="jsonl", source="hf:cais/mmlu", config="all")
    ds = load_dataset(spec, Path("."))
    assert [s.id for s in ds.samples] == ["a-0", "a-1", "b-0", "b-1"]
    assert ds.samples[0].meta["_file"] == "mmlu-test-00000-of-00002"
    assert ds.source == f"hf:cais/mmlu: {prepared} [split 'test', 2 files]"
    val = load_dataset(spec, Path("."), split="validation")
    assert [s.id for s in val.samples] == ["v-0", "v-1"]


def test_datasets_cache_default_config_and_loose_names(hf_home: Path) -> None:
    _prepared(
        hf_home / "datasets" / "HuggingFaceH4___math-500" / "default" / "0.0.0" / "f00",
        {"math-500-test.arrow": _records("m")},
    )
    found = resolve_source("hf:HuggingFaceH4/MATH-500", Path("."), split="test")
    assert [p.name for p in found.files] == ["math-500-test.arrow"]


def test_datasets_cache_without_a_config_among_several_lists_them(hf_home: Path) -> None:
    builder = hf_home / "datasets" / "allenai___winogrande"
    for config in ("winogrande_xl", "winogrande_debiased"):
        _prepared(builder / config / "0.0.0" / "h1", {"winogrande-validation.arrow": _records("w")})
    with pytest.raises(SpecError) as err:
        resolve_source("hf:allenai/winogrande", Path("."), split="validation")
    assert str(err.value) == (
        "hf:allenai/winogrande (split 'validation'): no files to read in the local cache: "
        f"{hf_home / 'hub' / 'datasets--allenai--winogrande'} (not found); {builder} (no "
        "configuration 'default'; configurations: winogrande_debiased, winogrande_xl; "
        "set dataset.config)"
    )


def test_datasets_cache_single_config_is_used_without_one(hf_home: Path) -> None:
    builder = hf_home / "datasets" / "allenai___winogrande"
    _prepared(builder / "winogrande_xl" / "0.0.0" / "h1", {"winogrande-validation.arrow": []})
    found = resolve_source("hf:allenai/winogrande", Path("."), split="validation")
    assert [p.parent.parent.parent.name for p in found.files] == ["winogrande_xl"]


def test_a_missing_dataset_names_the_paths_tried_and_how_to_get_it(hf_home: Path) -> None:
    spec = DatasetSpec(format="jsonl", source="hf:cais/mmlu", config="all")
    with pytest.raises(SpecError) as err:
        load_dataset(spec, Path("."))
    assert err.value.exit_code == EXIT_USAGE
    assert str(err.value) == (
        "hf:cais/mmlu (split 'test', config 'all') is not in the local Hugging Face cache "
        f"(read offline); looked in {hf_home / 'hub' / 'datasets--cais--mmlu'} (not found); "
        f"{hf_home / 'datasets' / 'cais___mmlu'} (not found). Download it on a machine with "
        "network: `hf download --repo-type dataset cais/mmlu` (or "
        "`datasets.load_dataset('cais/mmlu', 'all')`) and copy the cache here (HF_HOME, "
        "HF_HUB_CACHE or HF_DATASETS_CACHE point at it), or point dataset.source at a local copy"
    )


def test_a_snapshot_without_data_files_falls_back_to_the_datasets_cache(hf_home: Path) -> None:
    snapshot = hf_home / "hub" / "datasets--Rowan--hellaswag" / "snapshots" / "r1"
    snapshot.mkdir(parents=True)
    (snapshot / "hellaswag.py").write_text("# loading script", encoding="utf-8")
    _prepared(
        hf_home / "datasets" / "Rowan___hellaswag" / "default" / "0.1.0" / "h",
        {"hellaswag-validation.arrow": _records("h")},
    )
    found = resolve_source("hf:Rowan/hellaswag", Path("."), split="validation")
    assert [p.name for p in found.files] == ["hellaswag-validation.arrow"]


def test_a_malformed_name_is_rejected(hf_home: Path) -> None:
    with pytest.raises(SpecError, match=r"'hf:a/b/c' is not a dataset name; write hf:OWNER/NAME"):
        resolve_source("hf:a/b/c", Path("."))
