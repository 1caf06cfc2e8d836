"""Run directories: creation, crash-safe records, results round trip, finding runs again."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evalspec.errors import SpecError
from evalspec.monitor.perf import UnitPerf
from evalspec.scoring.results import Metric, UnitResult
from evalspec.store import Record, Run, RunStore, default_runs_dir
from evalspec.store.runfiles import TokenCounts


def _record(sample: str, **fields: object) -> Record:
    base: dict[str, object] = {
        "unit_id": "smol/arith",
        "unit_hash": "a" * 64,
        "sample_id": sample,
        "sample_index": 0,
        "prompt": "1+1?",
        "output": "2",
        "score": 1.0,
        "tokens": TokenCounts(prompt=3, completion=1),
        "cached": False,
    }
    return Record.model_validate(base | fields)


def _units() -> list[UnitResult]:
    return [
        UnitResult(
            unit_id="smol/arith",
            unit_hash="a" * 64,
            model="smol",
            adapter=None,
            task="arith",
            metrics={"accuracy": Metric("accuracy", 0.1 + 0.2, 0.0456789123, 20)},
            outcomes={"arith-0001": 1.0, "arith-0002": 0.0},
            fingerprint={"engine": "vllm", "engine_args": {"max_model_len": 2048}},
        ),
        UnitResult(
            unit_id="smol+sql-v3/code",
            unit_hash="b" * 64,
            model="smol",
            adapter="sql-v3",
            task="code",
            metrics={"pass@1": Metric("pass@1", 1 / 3, 0.27, 3, higher_is_better=True)},
            outcomes={"c1": 1.0, "c2": 0.0, "c3": 0.0},
            slices={"level=hard": {"pass@1": Metric("pass@1", 0.5, 0.5, 2)}},
            clusters={"c1": "doc-1", "c2": "doc-1"},
            notes=["1 of 3 outputs could not be scored and were left out"],
        ),
        UnitResult("big/arith", "c" * 64, "big", None, "arith", error="engine would not load"),
    ]


def test_create_makes_sortable_run_id_manifest_and_empty_records(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {"spec_digest": "d1"})

    assert re.fullmatch(r"\d{8}T\d{6}Z-smoke-[0-9a-f]{6}", run.run_id)
    assert run.path == tmp_path / run.run_id
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["run_id"] == run.run_id
    assert manifest["spec"] == "smoke"
    assert manifest["status"] == "running"
    assert manifest["spec_digest"] == "d1"
    assert manifest["version"] == 2
    assert manifest["started_at"].endswith("+00:00")
    assert (run.path / "records.jsonl").read_text() == ""
    assert run.manifest.model_dump(mode="json") == manifest


def test_manifest_file_has_sorted_keys_and_indent(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {"spec_path": "specs/smoke.yaml"})
    text = (run.path / "manifest.json").read_text()

    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n"


def test_create_refuses_manifest_keys_owned_by_the_store(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="status"):
        RunStore(tmp_path).create("smoke", {"status": "done"})


def test_create_in_a_runs_dir_that_is_a_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "runs").write_text("not a directory")
    with pytest.raises(SpecError, match=r"is not a directory.*--runs-dir"):
        RunStore(tmp_path / "runs").create("smoke", {})
    with pytest.raises(SpecError, match="is not a directory"):
        RunStore(tmp_path / "runs" / "below").create("smoke", {})


def test_create_refuses_spec_name_that_is_not_a_safe_directory_name(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot name a run directory"):
        RunStore(tmp_path).create("../escape", {})


def test_appended_records_read_back_in_order(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    first = [_record("s1"), _record("s2", output="a\nb", tags={"level": "hard"}, values={"x": 1})]
    run.append_records(first)
    run.append_records([])
    run.append_records([_record("s3", score=0.0, cluster="doc-1")])

    assert run.read_records() == [*first, _record("s3", score=0.0, cluster="doc-1")]
    lines = (run.path / "records.jsonl").read_text().splitlines()
    assert len(lines) == 3
    assert "tags" not in json.loads(lines[0])  # defaults are left out of each line


def test_torn_last_line_is_ignored_on_read(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    run.append_records([_record("s1"), _record("s2")])
    with open(run.path / "records.jsonl", "a") as handle:
        handle.write('{"sample_id": "s3", "outp')  # writer killed mid-line

    assert [r.sample_id for r in run.read_records()] == ["s1", "s2"]


def test_append_after_a_torn_line_drops_the_fragment_and_keeps_new_records(
    tmp_path: Path,
) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    run.append_records([_record("s1")])
    with open(run.path / "records.jsonl", "a") as handle:
        handle.write('{"sample_id": "s2"')
    run.append_records([_record("s2")])

    assert [r.sample_id for r in run.read_records()] == ["s1", "s2"]


def test_corrupt_record_in_the_middle_names_file_and_line(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    good = json.dumps(_record("s1").to_json_dict())
    (run.path / "records.jsonl").write_text(f"{good}\nnot json\n{good}\n")

    with pytest.raises(SpecError, match=r"records\.jsonl:2: corrupt record"):
        run.read_records()


def test_record_of_wrong_types_or_bytes_that_are_not_utf8_is_one_clear_error(
    tmp_path: Path,
) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    bad = _record("s1").to_json_dict() | {"score": "high"}
    (run.path / "records.jsonl").write_text(json.dumps(bad) + "\n")
    with pytest.raises(SpecError, match=r"records\.jsonl:1: corrupt record: score"):
        run.read_records()
    (run.path / "records.jsonl").write_bytes(b'{"unit_id": "\xff\xfe"}\n')
    with pytest.raises(SpecError, match=r"records\.jsonl: not UTF-8"):
        run.read_records()


def test_finish_round_trips_unit_results_exactly(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    units = _units()
    run.finish(units, "complete")

    assert Run(run.path).load_results() == units
    manifest = run.manifest
    assert manifest.status == "complete" and manifest.reason is None
    assert manifest.finished_at is not None and manifest.finished_at >= manifest.started_at


def test_slices_round_trip_as_metrics_so_a_tagged_run_can_be_gated_again(
    tmp_path: Path,
) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    run.finish(_units(), "complete")

    sliced = Run(run.path).load_results()[1].slices["level=hard"]["pass@1"]
    assert isinstance(sliced, Metric) and sliced.value == 0.5


def test_finish_records_why_a_run_did_not_complete(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    run.finish([], "interrupted", reason="interrupted by SIGTERM")

    assert (run.status, run.manifest.reason) == ("interrupted", "interrupted by SIGTERM")


def test_results_of_wrong_types_non_finite_or_a_newer_version_are_refused(
    tmp_path: Path,
) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    run.finish(_units(), "complete")
    path = run.path / "results.json"
    data = json.loads(path.read_text())
    for change, message in (
        ({"units": [{"unit_id": 3}]}, r"units\.0"),
        ({"perf": {"u": {"tokens_per_s": "NaN"}}}, r"perf\.u\.tokens_per_s"),
        ({"version": 9}, "written by a newer evalspec"),
    ):
        path.write_text(json.dumps(data | change))
        with pytest.raises(SpecError, match=message):
            run.load_results()


def test_a_version_1_run_directory_is_read_and_upgraded(tmp_path: Path) -> None:
    """Run directories written before the typed files (evalspec 0.1) stay readable."""
    run = RunStore(tmp_path).create("smoke", {})
    manifest = json.loads((run.path / "manifest.json").read_text())
    del manifest["version"], manifest["executor"]
    (run.path / "manifest.json").write_text(json.dumps(manifest))
    units = [
        {
            "unit_id": "smol/arith",
            "unit_hash": "a" * 64,
            "model": "smol",
            "adapter": None,
            "task": "arith",
            "metrics": {"accuracy": {"name": "accuracy", "value": 0.5, "stderr": 0.1, "n": 4}},
            "outcomes": {"s1": 1.0},
            "slices": {
                "t=x": {"accuracy": {"name": "accuracy", "value": 1.0, "stderr": 0, "n": 1}}
            },
        }
    ]
    perf = {"smol/arith": {"tokens_per_s": 20.0, "cached_samples": 2}}
    (run.path / "results.json").write_text(json.dumps({"version": 1, "units": units, "perf": perf}))

    loaded = run.load_results()[0]
    assert loaded.slices["t=x"]["accuracy"].value == 1.0
    assert run.load_perf()["smol/arith"].cached_outputs == 2
    assert run.manifest.status == "running"


def test_finish_keeps_perf_measurements_per_unit(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    perf = {"smol/arith": UnitPerf(tokens_per_s=17.5, engine_load_s=31.2, measured_outputs=4)}
    run.finish(_units()[:1], "complete", perf=perf)

    assert run.load_perf() == perf
    assert run.load_results() == _units()[:1]


def test_finish_rejects_a_status_that_is_not_final(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    with pytest.raises(ValueError, match="status"):
        run.finish([], "running")


def test_load_results_of_an_unfinished_run_says_it_never_finished(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {})
    with pytest.raises(SpecError, match="never finished"):
        run.load_results()


def test_latest_prefers_newest_complete_run_of_the_spec(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    first = store.create("smoke", {})
    first.finish([], "complete")
    other_spec = store.create("coding", {})
    other_spec.finish([], "complete")
    failed = store.create("smoke", {})
    failed.finish([], "failed")
    running = store.create("smoke", {})

    latest = store.latest("smoke")
    newest = store.latest("smoke", complete_only=False)

    assert latest is not None and latest.run_id == first.run_id
    assert newest is not None and newest.run_id == running.run_id
    assert store.latest("nothing") is None


def test_list_is_oldest_first_filters_by_spec_and_skips_stray_entries(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    a = store.create("smoke", {})
    b = store.create("coding", {})
    c = store.create("smoke", {})
    (tmp_path / "notes.txt").write_text("not a run")
    (tmp_path / "half-made").mkdir()

    assert [r.run_id for r in store.list()] == [a.run_id, b.run_id, c.run_id]
    assert [r.run_id for r in store.list("smoke")] == [a.run_id, c.run_id]
    assert RunStore(tmp_path / "absent").list() == []


def test_get_returns_the_run_and_missing_id_names_recent_runs(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = store.create("smoke", {})

    assert store.get(run.run_id).path == run.path
    with pytest.raises(SpecError, match=rf"no run 'nope'.*recent runs: {run.run_id}"):
        store.get("nope")
    with pytest.raises(SpecError, match="no run"):
        store.get("../" + run.run_id)


def test_default_runs_dir_follows_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALSPEC_RUNS_DIR", raising=False)
    assert default_runs_dir() == Path("runs")
    monkeypatch.setenv("EVALSPEC_RUNS_DIR", "/data/evalspec-runs")
    assert default_runs_dir() == Path("/data/evalspec-runs")


def test_annotate_sets_a_manifest_key_and_keeps_the_rest(tmp_path: Path) -> None:
    run = RunStore(tmp_path).create("smoke", {"spec_digest": "abc"})
    run.annotate(engine_fingerprints={"smol": {"engine": "vllm"}})
    manifest = run.manifest
    assert manifest.engine_fingerprints == {"smol": {"engine": "vllm"}}
    assert manifest.spec_digest == "abc" and manifest.status == "running"
    with pytest.raises(ValueError, match="status"):
        run.annotate(status="sleeping")
