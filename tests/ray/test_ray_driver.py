"""The Ray executor on a real local Ray cluster, with the in-process engine stand-in in its
actors (fast): records equal the local executor's, in plan order, and every fault the
issue names is recovered from (or fails only its own units).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
import ray
from fake_engine import FakeEngines
from ray_specs import comparable, write_spec
from replica_engines import Faults, LoggedLoader, generated

from evalspec.checking import CheckOutcome, run_check
from evalspec.errors import EXIT_INFRA
from evalspec.monitor import MONITOR_FILE
from evalspec.runner import LocalExecutor, RunInterrupted
from evalspec.runner.ray import RayExecutor, RaySettings
from evalspec.spec import load_spec
from evalspec.store import Run
from evalspec.store.cache import RESPONSE_CACHE_ENV

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_cluster")]
SLOTS = {"executor": "ray", "resource": "engine_slot"}
REQUESTS = 12 + 24  # per model: 12 greedy + 12 x 2 sampled


def _local(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CheckOutcome:
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(tmp_path / "local.sqlite"))
    executor = LocalExecutor(FakeEngines().pool())
    return run_check(spec, runs_dir=tmp_path / "runs", executor=executor)


def _distributed(
    spec: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    loader: LoggedLoader,
    during: Callable[[RayExecutor], None] | None = None,
) -> tuple[CheckOutcome, RayExecutor]:
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(tmp_path / "ray.sqlite"))
    executor = RayExecutor(RaySettings.from_spec(load_spec(spec).spec.run), loader=loader)
    watcher = threading.Thread(target=during, args=(executor,), daemon=True) if during else None
    if watcher is not None:
        watcher.start()
    try:
        return run_check(spec, runs_dir=tmp_path / "runs", executor=executor), executor
    finally:
        executor.close()


def _wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_two_models_run_at_once_and_give_the_local_executors_records_in_plan_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(tmp_path, models=["m1", "m2"], run={**SLOTS, "shard_size": 3})
    local = _local(spec, tmp_path, monkeypatch)
    log = tmp_path / "generated.log"
    outcome, executor = _distributed(spec, tmp_path, monkeypatch, LoggedLoader(log, delay_s=0.2))

    assert outcome.exit_code == local.exit_code == 0
    assert comparable(outcome.run_dir) == comparable(local.run_dir)
    units = list(dict.fromkeys(r["unit_id"] for r in comparable(outcome.run_dir)))
    assert units == ["m1/greedy", "m1/sampled", "m2/greedy", "m2/sampled"]
    # one replica each (auto: two slots shared by two models), one engine load each
    assert sorted(i.replica for i in executor.loads) == ["m1#0", "m2#0"]
    sent = generated(log)
    assert len(sent) == len({r for _, r in sent}) == 2 * REQUESTS  # every request once
    pids = [pid for pid, _ in sent]
    first_m2 = pids.index(next(i.pid for i in executor.loads if i.replica == "m2#0"))
    last_m1 = (
        len(pids) - 1 - pids[::-1].index(next(i.pid for i in executor.loads if i.replica == "m1#0"))
    )
    assert first_m2 < last_m1  # the models' shards interleaved: they ran at the same time
    manifest = Run(outcome.run_dir).manifest
    assert manifest.executor == "ray" and manifest.status == "complete"


def test_a_replica_that_exits_inside_a_shard_restarts_and_only_its_shard_runs_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(tmp_path, models=["m"], run={**SLOTS, "replicas": 2, "shard_size": 4})
    local = _local(spec, tmp_path, monkeypatch)
    log, marker = tmp_path / "generated.log", tmp_path / "exited"
    loader = LoggedLoader(log, delay_s=0.1, faults=Faults(exit_on_call=2, marker=marker))
    outcome, executor = _distributed(spec, tmp_path, monkeypatch, loader)

    assert marker.read_text().startswith("exit")
    assert outcome.exit_code == 0
    assert comparable(outcome.run_dir) == comparable(local.run_dir)
    died = int(marker.read_text().split()[1])
    sent = generated(log)
    assert len(sent) == len({r for _, r in sent}) == REQUESTS  # no finished shard ran twice
    assert sum(1 for pid, _ in sent if pid == died) == 4  # its first shard counted, once
    # one engine load per replica process: the two, and the restarted one if it came back
    # before the other replica had finished the run
    pids = [i.pid for i in executor.loads]
    assert len(pids) == len(set(pids)) in (2, 3) and died in pids


def test_a_replica_stopped_with_ray_kill_hands_its_shards_to_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(tmp_path, models=["m"], run={**SLOTS, "replicas": 2, "shard_size": 2})
    local = _local(spec, tmp_path, monkeypatch)
    log = tmp_path / "generated.log"
    killed: list[int] = []

    def kill_second_replica(executor: RayExecutor) -> None:
        _wait_for(lambda: any(i.replica == "m#1" for i in executor.loads))
        pid = next(i.pid for i in executor.loads if i.replica == "m#1")
        _wait_for(lambda: any(p == pid for p, _ in generated(log)))  # it finished a shard
        ray.kill(ray.get_actor(executor.actor_name("m#1")))  # no restart
        killed.append(pid)

    outcome, executor = _distributed(
        spec, tmp_path, monkeypatch, LoggedLoader(log, delay_s=0.3), during=kill_second_replica
    )

    assert killed and outcome.exit_code == 0
    assert comparable(outcome.run_dir) == comparable(local.run_dir)
    sent = generated(log)
    after = [r for p, r in sent if p != killed[0]]
    assert {r for _, r in sent} == {r for _, r in sent if True} and len(set(after)) == len(after)
    assert len(sent) - len({r for _, r in sent}) <= 2  # at most the shard it was running
    assert sorted(i.replica for i in executor.loads) == ["m#0", "m#1"]  # no reload


def test_an_engine_that_raises_inside_a_live_replica_is_restarted_fresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(tmp_path, models=["m"], run={**SLOTS, "replicas": 1, "shard_size": 6})
    local = _local(spec, tmp_path, monkeypatch)
    marker = tmp_path / "raised"
    loader = LoggedLoader(tmp_path / "log", faults=Faults(raise_on_call=2, marker=marker))
    outcome, executor = _distributed(spec, tmp_path, monkeypatch, loader)

    assert marker.exists() and outcome.exit_code == 0
    assert comparable(outcome.run_dir) == comparable(local.run_dir)
    assert [i.replica for i in executor.loads] == ["m#0", "m#0"]
    assert executor.loads[0].pid != executor.loads[1].pid  # a new process, a new engine


def test_a_shard_past_its_timeout_restarts_its_replica(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = {**SLOTS, "replicas": 1, "shard_size": 12, "shard_timeout_s": 3}
    spec = write_spec(tmp_path, models=["m"], run=run)
    marker = tmp_path / "stalled"
    faults = Faults(stall_on_call=2, stall_s=120, marker=marker)
    outcome, executor = _distributed(
        spec, tmp_path, monkeypatch, LoggedLoader(tmp_path / "log", faults=faults)
    )
    assert marker.exists() and outcome.exit_code == 0
    assert len(executor.loads) == 2


def test_a_model_that_cannot_load_fails_its_units_while_the_other_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(tmp_path, models=["good", "broken"], run=SLOTS)
    loader = LoggedLoader(tmp_path / "log", faults=Faults(cannot_load="broken"))
    outcome, _ = _distributed(spec, tmp_path, monkeypatch, loader)

    assert outcome.exit_code == EXIT_INFRA
    results = {r.unit_id: r for r in Run(outcome.run_dir).load_results()}
    assert results["good/greedy"].error is None and results["good/sampled"].error is None
    error = results["broken/greedy"].error or ""
    assert "vLLM could not load broken: no such weights" in error
    assert results["broken/sampled"].error == error


def test_replica_readings_name_their_node_and_replica_and_join_the_unit_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALSPEC_MONITOR_INTERVAL_S", "0.1")
    spec = write_spec(tmp_path, models=["m"], run={**SLOTS, "replicas": 2, "shard_size": 3})
    outcome, _ = _distributed(spec, tmp_path, monkeypatch, LoggedLoader(tmp_path / "log", 0.2))
    ticks = [json.loads(x) for x in (outcome.run_dir / MONITOR_FILE).read_text().splitlines()]
    replicas = [t for t in ticks if "replica" in t]
    assert {t["replica"] for t in replicas} == {"m#0", "m#1"}
    assert all(
        t["node"] and t["node_id"] and t["unit"] in ("m/greedy", "m/sampled") for t in replicas
    )
    perf = Run(outcome.run_dir).load_perf()["m/greedy"]
    assert perf.monitor_samples is not None and perf.monitor_samples >= 4


def test_ctrl_c_stops_the_replicas_and_marks_the_run_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(tmp_path, models=["m"], run={**SLOTS, "replicas": 2, "shard_size": 2})
    log = tmp_path / "log"

    def interrupt(executor: RayExecutor) -> None:
        _wait_for(lambda: len(generated(log)) >= 4)
        os.kill(os.getpid(), signal.SIGINT)

    try:
        outcome, _ = _distributed(
            spec, tmp_path, monkeypatch, LoggedLoader(log, 0.3), during=interrupt
        )
    except RunInterrupted as stopped:
        assert stopped.exit_code == 130
    else:
        errors = [r.error for r in Run(outcome.run_dir).load_results()]
        pytest.fail(f"the run ended (exit {outcome.exit_code}, {errors}) before Ctrl-C")
    pids = {pid for pid, _ in generated(log)}
    _wait_for(lambda: not any(psutil.pid_exists(p) for p in pids), timeout_s=30)
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert Run(run_dir).manifest.status == "interrupted"


def test_multi_turn_chats_and_their_judge_run_on_the_replicas_with_equal_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    task = {
        "id": "chat",
        "dataset": {"format": "mt_bench", "source": str(fixtures / "mt_bench/question.jsonl")},
        "generation": {"max_tokens": 8},
        "scorer": {"type": "judge", "model": "m", "max_tokens": 16},
        "metrics": ["judge_score", "turn_1", "turn_2"],
    }
    run = {**SLOTS, "shard_size": 2, "replicas": 1}  # one replica: a load per phase
    spec = write_spec(tmp_path, models=["m"], run=run, tasks=[task])
    local = _local(spec, tmp_path, monkeypatch)
    log = tmp_path / "log"
    outcome, executor = _distributed(spec, tmp_path, monkeypatch, LoggedLoader(log))

    assert outcome.exit_code == local.exit_code == 0
    assert comparable(outcome.run_dir) == comparable(local.run_dir)
    record = comparable(outcome.run_dir)[0]
    assert len(record["turns"]) == 2 and record["judge"]  # both turns, then the ratings
    # the model's replica was given back after generation; judging loaded it once more
    assert [i.replica for i in executor.loads] == ["m#0", "m#0"]
