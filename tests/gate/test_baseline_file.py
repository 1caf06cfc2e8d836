"""Baseline v1 files: built from results, written stably, read back, errors naming file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalspec.errors import SpecError
from evalspec.gate import (
    baseline_from_results,
    describe_changes,
    read_baseline,
    write_baseline,
)
from evalspec.scoring.results import Metric, UnitResult


def _unit(task: str = "arith", value: float = 0.45, unit_hash: str = "h" * 64) -> UnitResult:
    return UnitResult(
        unit_id=f"smol/{task}",
        unit_hash=unit_hash,
        model="smol",
        adapter=None,
        task=task,
        metrics={"accuracy": Metric("accuracy", value, 0.111111111, 20)},
        outcomes={"s2": 1 / 3, "s1": 1.0},
        fingerprint={"engine": "vllm"},
    )


def test_baseline_rounds_floats_to_six_decimals_and_keeps_samples() -> None:
    baseline = baseline_from_results("smoke", "RUN1", "abc", [_unit(value=0.123456789)])
    unit = baseline.units["smol/arith"]

    assert unit.metrics["accuracy"].value == 0.123457
    assert unit.metrics["accuracy"].stderr == 0.111111
    assert unit.samples == {"s1": 1.0, "s2": 0.333333}
    assert unit.hash == "h" * 64
    assert unit.fingerprint == {"engine": "vllm"}
    assert baseline.provenance.run_id == "RUN1"
    assert baseline.provenance.git_sha == "abc"


def test_baseline_refuses_a_unit_the_run_did_not_complete() -> None:
    failed = UnitResult("smol/code", "x", "smol", None, "code", error="engine would not load")
    with pytest.raises(SpecError, match="did not complete unit smol/code"):
        baseline_from_results("smoke", "RUN1", None, [_unit(), failed])


def test_written_baseline_reads_back_equal(tmp_path: Path) -> None:
    baseline = baseline_from_results("smoke", "RUN1", None, [_unit(), _unit("code", 0.2)])
    path = tmp_path / "baselines" / "smoke.json"
    write_baseline(path, baseline)

    assert read_baseline(path) == baseline


def test_baseline_file_is_sorted_indented_and_ends_with_newline(tmp_path: Path) -> None:
    path = tmp_path / "smoke.json"
    write_baseline(path, baseline_from_results("smoke", "RUN1", None, [_unit()]))
    text = path.read_text()
    data = json.loads(text)

    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert data["version"] == 1
    assert set(data) == {"version", "spec", "provenance", "units"}
    assert set(data["units"]["smol/arith"]) == {
        "hash", "model", "adapter", "task", "fingerprint", "metrics", "samples", "clusters",
        "perf",
    }  # fmt: skip
    assert data["units"]["smol/arith"]["metrics"]["accuracy"] == {
        "value": 0.45, "stderr": 0.111111, "n": 20, "higher_is_better": True
    }  # fmt: skip


def test_rewriting_a_read_baseline_gives_identical_bytes(tmp_path: Path) -> None:
    path = tmp_path / "smoke.json"
    write_baseline(path, baseline_from_results("smoke", "RUN1", None, [_unit()]))
    first = path.read_text()
    baseline = read_baseline(path)
    assert baseline is not None
    write_baseline(path, baseline)

    assert path.read_text() == first


def test_missing_baseline_file_reads_as_none(tmp_path: Path) -> None:
    assert read_baseline(tmp_path / "absent.json") is None


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "smoke.json"
    path.write_text('{\n  "version": 1,\n  "spec": smoke\n}\n')

    with pytest.raises(SpecError, match=r"smoke\.json:3: invalid baseline JSON"):
        read_baseline(path)


def test_wrong_version_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "smoke.json"
    path.write_text('{"version": 2, "spec": "smoke", "provenance": {}, "units": {}}')

    with pytest.raises(SpecError, match=r"smoke\.json: key 'version': expected 1, got 2"):
        read_baseline(path)


def test_wrong_shape_names_file_and_key_path(tmp_path: Path) -> None:
    path = tmp_path / "smoke.json"
    write_baseline(path, baseline_from_results("smoke", "RUN1", None, [_unit()]))
    data = json.loads(path.read_text())
    data["units"]["smol/arith"]["metrics"]["accuracy"]["value"] = "high"
    path.write_text(json.dumps(data))

    with pytest.raises(SpecError, match=r"smoke\.json: key 'units\.smol/arith\.metrics"):
        read_baseline(path)


def test_unknown_key_in_baseline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "smoke.json"
    write_baseline(path, baseline_from_results("smoke", "RUN1", None, [_unit()]))
    data = json.loads(path.read_text())
    data["unts"] = {}
    path.write_text(json.dumps(data))

    with pytest.raises(SpecError, match="key 'unts'"):
        read_baseline(path)


def test_describe_changes_lists_added_removed_value_and_hash_changes() -> None:
    old = baseline_from_results("smoke", "R1", None, [_unit(), _unit("gone", 0.3)])
    new = baseline_from_results(
        "smoke", "R2", None, [_unit(value=0.5, unit_hash="k" * 64), _unit("new", 0.9)]
    )

    assert describe_changes(old, new) == [
        "smol/arith: configuration hash hhhhhhhhhhhh -> kkkkkkkkkkkk",
        "smol/arith accuracy: 0.450 -> 0.500",
        "removed unit smol/gone",
        "added unit smol/new (accuracy)",
    ]


def test_describe_changes_of_identical_baselines_is_empty_and_first_baseline_adds_all() -> None:
    base = baseline_from_results("smoke", "R1", None, [_unit()])

    assert describe_changes(base, base) == []
    assert describe_changes(None, base) == ["added unit smol/arith (accuracy)"]


def test_describe_changes_shows_more_decimals_when_three_would_hide_the_change() -> None:
    old = baseline_from_results("smoke", "R1", None, [_unit(value=0.45)])
    new = baseline_from_results("smoke", "R2", None, [_unit(value=0.450004)])

    assert describe_changes(old, new) == ["smol/arith accuracy: 0.450000 -> 0.450004"]
