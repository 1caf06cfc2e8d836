"""The driver over the local executor, on an in-process engine stand-in (no model, fast).

Per-request cache keys, chunked persistence, multi-turn failures, partly cached perf,
engine failures and signals: what the driver promises whatever the engine is.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import yaml
from fake_engine import FakeEngines

from evalspec.checking import prepare_baseline, run_check
from evalspec.errors import EXIT_INFRA
from evalspec.gate import write_baseline
from evalspec.runner import Lines, LocalExecutor, RunInterrupted
from evalspec.store import Run
from evalspec.store.cache import RESPONSE_CACHE_ENV

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MODEL = {"id": "fake", "source": "builtin:smollm2-135m-instruct"}


def _arith(n: int, start: int = 0) -> list[dict[str, str]]:
    return [
        {"id": f"q{i}", "prompt": f"What is {i} + 1?", "target": str(i + 1)}
        for i in range(start, start + n)
    ]


@pytest.fixture
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(tmp_path / "responses.sqlite"))
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in _arith(12)))
    return tmp_path


def _spec(workdir: Path, *tasks: dict[str, object], name: str = "driver") -> Path:
    spec = {"version": 1, "name": name, "models": [MODEL], "tasks": list(tasks)}
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _task(task_id: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": task_id,
        "dataset": {"format": "jsonl", "source": "data.jsonl"},
        "generation": {"max_tokens": 8},
        "scorer": {"type": "numeric"},
    }
    return base | fields


def _records(run_dir: Path) -> list[dict[str, object]]:
    return [r.to_json_dict() for r in Run(run_dir).read_records()]


def test_limit_5_then_6_generates_exactly_one_new_output_per_task(workdir: Path) -> None:
    spec = _spec(workdir, _task("a"), _task("b", prompt={"template": "Q: {prompt}"}))
    engines = FakeEngines()
    executor = LocalExecutor(engines.pool())

    first = run_check(spec, limit=5, runs_dir=workdir / "runs", executor=executor)
    assert engines.prompts_sent == 10
    second = run_check(spec, limit=6, runs_dir=workdir / "runs", executor=executor)

    assert engines.prompts_sent == 12  # one new request per task
    new = [r for r in _records(second.run_dir) if not r["cached"]]
    assert sorted((r["unit_id"], r["sample_id"]) for r in new) == [
        ("fake/a", new[0]["sample_id"]),
        ("fake/b", new[0]["sample_id"]),
    ]
    before = {(r["unit_id"], r["sample_id"]): r["output"] for r in _records(first.run_dir)}
    after = {(r["unit_id"], r["sample_id"]): r["output"] for r in _records(second.run_dir)}
    assert all(after[k] == v for k, v in before.items())


def test_reordered_tasks_added_samples_and_a_renamed_task_reuse_every_output(
    workdir: Path,
) -> None:
    engines = FakeEngines()
    executor = LocalExecutor(engines.pool())
    run_check(
        _spec(workdir, _task("a"), _task("b", generation={"max_tokens": 9})),
        limit=4,
        runs_dir=workdir / "runs",
        executor=executor,
    )
    sent = engines.prompts_sent
    reordered = _spec(workdir, _task("b", generation={"max_tokens": 9}), _task("renamed"))
    outcome = run_check(reordered, limit=4, runs_dir=workdir / "runs", executor=executor)

    assert engines.prompts_sent == sent  # same requests, other order and unit ids
    assert all(r["cached"] for r in _records(outcome.run_dir))
    with (workdir / "data.jsonl").open("a") as more:
        more.write("".join(json.dumps(r) + "\n" for r in _arith(2, start=100)))
    run_check(reordered, runs_dir=workdir / "runs", executor=executor)
    assert engines.prompts_sent == sent + 2 * (12 + 2 - 4)  # only the samples never asked


def test_a_changed_generation_setting_misses(workdir: Path) -> None:
    engines = FakeEngines()
    executor = LocalExecutor(engines.pool())
    run_check(_spec(workdir, _task("a")), limit=3, runs_dir=workdir / "runs", executor=executor)
    changed = _spec(workdir, _task("a", generation={"max_tokens": 9}))
    run_check(changed, limit=3, runs_dir=workdir / "runs", executor=executor)
    assert engines.prompts_sent == 6


def test_chunks_are_cached_as_they_complete_so_a_failed_unit_resumes(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALSPEC_CHUNK_SIZE", "4")
    spec = _spec(workdir, _task("a"))
    dying = FakeEngines(raise_on_call=2)  # the third chunk dies
    outcome = run_check(spec, runs_dir=workdir / "runs", executor=LocalExecutor(dying.pool()))
    assert outcome.exit_code == EXIT_INFRA
    assert [len(c) for c in dying.engines[0].calls] == [4, 4, 4]

    healthy = FakeEngines()
    again = run_check(spec, runs_dir=workdir / "runs", executor=LocalExecutor(healthy.pool()))
    assert again.exit_code == 0
    assert healthy.prompts_sent == 4  # the 8 answers of the finished chunks came from the cache
    assert sum(1 for r in _records(again.run_dir) if r["cached"]) == 8


def test_an_engine_that_raised_is_reloaded_for_the_next_unit(workdir: Path) -> None:
    spec = _spec(workdir, _task("a"), _task("b", prompt={"template": "Q: {prompt}"}))
    calls = []

    def die_once(index: int) -> None:
        calls.append(index)
        if len(calls) == 1:
            raise RuntimeError("engine core died")

    engines = FakeEngines(on_call=die_once)
    pool = engines.pool()
    outcome = run_check(spec, limit=2, runs_dir=workdir / "runs", executor=LocalExecutor(pool))

    results = {u.unit_id: u for u in Run(outcome.run_dir).load_results()}
    assert results["fake/a"].error is not None
    assert "engine failed: RuntimeError: engine core died" in results["fake/a"].error
    assert results["fake/b"].error is None
    assert pool.loads == 2 and engines.engines[0].closed
    manifest = Run(outcome.run_dir).manifest
    assert manifest.status == "failed" and manifest.reason is not None
    assert "fake/a" in manifest.reason


def _mt_bench_spec(workdir: Path) -> Path:
    task = {
        "id": "chat",
        "dataset": {"format": "mt_bench", "source": str(FIXTURES / "mt_bench/question.jsonl")},
        "generation": {"max_tokens": 8},
        "scorer": {"type": "judge", "model": "fake", "max_tokens": 16},
        "metrics": ["judge_score", "turn_1", "turn_2"],
    }
    return _spec(workdir, task, name="multiturn")


def test_a_failed_first_turn_ends_its_conversation_and_is_never_cached(workdir: Path) -> None:
    spec = _mt_bench_spec(workdir)
    first_turn = "Write a two-sentence story about a lost kitten."

    def fail(prompt: object) -> str | None:
        last = prompt[-1]["content"] if isinstance(prompt, list) else ""
        return "HTTP 500" if last == first_turn else None

    broken = FakeEngines(fail=fail)
    outcome = run_check(spec, runs_dir=workdir / "runs", executor=LocalExecutor(broken.pool()))
    assert outcome.exit_code == EXIT_INFRA
    sent = [p for call in broken.engines[0].calls for p in call]
    continued = [p for p in sent if isinstance(p, list) and len(p) > 1]
    assert all(p[1]["content"] != "" for p in continued)  # no turn 2 after a missing answer
    assert not any(p[0]["content"] == first_turn and len(p) > 1 for p in continued)

    healthy = FakeEngines()
    again = run_check(spec, runs_dir=workdir / "runs", executor=LocalExecutor(healthy.pool()))
    assert again.exit_code == 0, again.reports.markdown
    kitten = next(r for r in _records(again.run_dir) if r["sample_id"] == "81")
    assert kitten["cached"] is False
    turns = kitten["turns"]
    assert isinstance(turns, list) and all(t.startswith("ans-") for t in turns)


def test_a_partly_cached_unit_says_its_perf_is_partial_and_is_not_judged_on_it(
    workdir: Path,
) -> None:
    thresholds = workdir / "thresholds.yaml"
    thresholds.write_text(
        "version: 1\nrules:\n  - task: a\n    perf: {tokens_per_s: {max_drop_pct: 5}}\n"
    )
    spec = _spec(workdir, _task("a"))
    data = yaml.safe_load(spec.read_text())
    data["gate"] = {"thresholds": "thresholds.yaml"}
    spec.write_text(yaml.safe_dump(data))
    data["gate"]["baseline"] = "baseline.json"
    spec.write_text(yaml.safe_dump(data))
    executor = LocalExecutor(FakeEngines().pool())
    measured = run_check(spec, limit=10, runs_dir=workdir / "runs", executor=executor)
    update = prepare_baseline(spec, run_id=measured.run_id, runs_dir=workdir / "runs")
    write_baseline(update.path, update.baseline)
    outcome = run_check(spec, limit=12, runs_dir=workdir / "runs", executor=executor)

    perf = Run(outcome.run_dir).load_perf()["fake/a"]
    assert (perf.cached_outputs, perf.measured_outputs, perf.partial) == (10, 2, True)
    report = json.loads(outcome.reports.json)
    row = next(r for r in report["perf_rows"] if r["measure"] == "tokens_per_s")
    assert row["status"] == "WARN" and "partly cached" in " ".join(row["reasons"])
    before = update.baseline.units["fake/a"].perf
    again = prepare_baseline(spec, run_id=outcome.run_id, runs_dir=workdir / "runs")
    assert again.baseline.units["fake/a"].perf == before  # small-batch figures never recorded
    assert any("perf kept from the previous baseline" in line for line in again.changes)


def test_sigterm_marks_the_run_interrupted_and_keeps_what_was_generated(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALSPEC_CHUNK_SIZE", "4")
    spec = _spec(workdir, _task("a"))

    def cancel(index: int) -> None:
        if index == 1:  # CI cancels the job while the second chunk runs
            os.kill(os.getpid(), signal.SIGTERM)

    engines = FakeEngines(on_call=cancel)
    before = signal.getsignal(signal.SIGTERM)  # SIG_DFL, or a handler an earlier test left
    with pytest.raises(RunInterrupted, match="SIGTERM") as stopped:
        run_check(spec, runs_dir=workdir / "runs", executor=LocalExecutor(engines.pool()))
    assert stopped.value.exit_code == 143
    (run_dir,) = (workdir / "runs").iterdir()
    manifest = Run(run_dir).manifest
    assert manifest.status == "interrupted" and "SIGTERM" in (manifest.reason or "")
    assert Run(run_dir).load_results() == []
    assert signal.getsignal(signal.SIGTERM) is before  # the run's handler is taken down

    resumed = FakeEngines()
    run_check(spec, runs_dir=workdir / "runs", executor=LocalExecutor(resumed.pool()))
    assert resumed.prompts_sent == 12 - 4  # the first chunk was kept


class _Recorder:
    """Events as a list of tuples, to assert what a progress display would be told."""

    def __init__(self) -> None:
        self.seen: list[tuple[object, ...]] = []

    def message(self, text: str) -> None:
        self.seen.append(("message", text))

    def run_started(self, plan: object, sampler: object) -> None:
        self.seen.append(("run_started",))

    def unit_started(self, unit_id: str, outputs: int) -> None:
        self.seen.append(("unit_started", unit_id, outputs))

    def outputs_done(
        self, unit_id: str, count: int, *, cached: bool, completion_tokens: int, wall_s: float
    ) -> None:
        self.seen.append(("outputs_done", unit_id, count, cached))

    def unit_finished(self, unit_id: str, result: object, perf: object) -> None:
        self.seen.append(("unit_finished", unit_id))

    def run_finished(self) -> None:
        self.seen.append(("run_finished",))


def test_events_count_every_output_once_cached_or_generated(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALSPEC_CHUNK_SIZE", "2")
    spec = _spec(workdir, _task("a"))
    executor = LocalExecutor(FakeEngines().pool())
    run_check(spec, limit=3, runs_dir=workdir / "runs", executor=executor)
    events = _Recorder()
    run_check(spec, limit=5, runs_dir=workdir / "runs", executor=executor, events=events)

    kinds = [e[0] for e in events.seen]
    assert kinds.index("run_started") < kinds.index("unit_started") < kinds.index("unit_finished")
    assert kinds[-1] == "run_finished"
    assert ("unit_started", "fake/a", 5) in events.seen
    done = [(e[2], e[3]) for e in events.seen if e[0] == "outputs_done"]
    assert done == [(3, True), (2, False)]  # 3 from the cache, then one chunk of 2


def test_lines_say_one_summary_per_finished_unit(workdir: Path) -> None:
    said: list[str] = []
    spec = _spec(workdir, _task("a"))
    run_check(
        spec,
        limit=2,
        runs_dir=workdir / "runs",
        executor=LocalExecutor(FakeEngines().pool()),
        events=Lines(said.append),
    )
    (summary,) = [line for line in said if line.startswith("fake/a: ")]
    assert "accuracy 0.000" in summary and "2 generated in" in summary
    assert all("\x1b" not in line for line in said)
