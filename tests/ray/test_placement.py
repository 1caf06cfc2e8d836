"""Replica resources and sizes: tp x pp per replica, auto shares, FIFO, explicit counts."""

from __future__ import annotations

import threading
import time

import pytest

from evalspec.engines import EngineRequest
from evalspec.engines.sources import ModelSource
from evalspec.errors import InfraError
from evalspec.runner.ray.placement import (
    Need,
    ReplicaLedger,
    actor_options,
    passed_environment,
    replica_need,
)

SOURCE = ModelSource("builtin", "smollm2-135m-instruct", None, "gguf:x")
GPU = Need("GPU", 1.0, 1.0)


def _request(device: str = "cuda", **args: object) -> EngineRequest:
    return EngineRequest("m", "vllm", SOURCE, device, tuple(sorted(args.items())), ())


def test_a_replica_asks_for_tensor_times_pipeline_parallel_gpus() -> None:
    need = replica_need(
        _request(tensor_parallel_size=4, pipeline_parallel_size=2), None, None, 2.0, False
    )
    assert need == Need("GPU", 8.0, 2.0)
    assert actor_options(need, 2, {"X": "1"}) == {
        "max_restarts": 2,
        "max_task_retries": 0,
        "runtime_env": {"env_vars": {"X": "1"}},
        "num_gpus": 8.0,
        "num_cpus": 2.0,
    }
    cpu = replica_need(_request("cpu"), None, None, 1.0, False)
    assert cpu == Need("CPU", 1.0, 1.0) and actor_options(cpu, 1, {})["num_cpus"] == 1.0
    slot = replica_need(_request("cpu"), "engine_slot", None, 1.0, False)
    assert actor_options(slot, 1, {})["resources"] == {"engine_slot": 1.0}
    assert replica_need(_request(), None, None, 1.0, remote=True).amount == 0


def test_auto_shares_free_gpus_among_the_models_by_their_requests() -> None:
    ledger = ReplicaLedger("GPU", 8, 8, {"a": 500, "b": 500, "c": 500, "d": 500})
    counts = [ledger.acquire(k, GPU, "auto", lambda: False) for k in "abcd"]
    assert counts == [2, 2, 2, 2]
    uneven = ReplicaLedger("GPU", 8, 8, {"big": 3000, "small": 400})
    assert uneven.acquire("big", GPU, "auto", lambda: False) == 7
    assert uneven.acquire("small", GPU, "auto", lambda: False) == 1
    few = ReplicaLedger("GPU", 8, 8, {"tiny": 40})  # two replicas keep 40 requests busy
    assert few.acquire("tiny", GPU, "auto", lambda: False) == 2


def test_a_group_waits_for_gpus_another_gives_back_first_come_first_served() -> None:
    ledger = ReplicaLedger("GPU", 8, 8, {"a": 100, "b": 100, "c": 100})
    tp8 = Need("GPU", 8.0, 1.0)
    assert ledger.acquire("a", tp8, "auto", lambda: False) == 1
    got: dict[str, int] = {}

    def wait(key: str, need: Need) -> None:
        got[key] = ledger.acquire(key, need, "auto", lambda: False)

    waiters = {
        k: threading.Thread(target=wait, args=(k, n), daemon=True)
        for k, n in (("b", tp8), ("c", GPU))
    }
    for waiter in waiters.values():
        waiter.start()
        time.sleep(0.2)  # b asks before c
    assert got == {}
    ledger.release("a")
    waiters["b"].join(5)
    time.sleep(0.6)
    assert got == {"b": 1}  # the 8-GPU group went first; the 1-GPU one did not jump ahead
    ledger.release("b")
    waiters["c"].join(5)
    assert got == {"b": 1, "c": 4}  # all eight free: as many as its 100 requests keep busy


def test_explicit_replicas_wait_until_they_fit_and_infeasible_groups_fail_at_once() -> None:
    ledger = ReplicaLedger("GPU", 4, 2, {"a": 10})
    assert ledger.acquire("a", GPU, 9, lambda: False) == 4  # at most what the cluster holds
    with pytest.raises(InfraError, match="largest node of the Ray cluster has 2"):
        ledger.acquire("big", Need("GPU", 4.0, 1.0), "auto", lambda: False)
    with pytest.raises(InfraError, match="stopped while waiting"):
        ledger.acquire("b", GPU, 2, lambda: True)  # a stopping run does not wait


def test_replicas_get_engine_settings_but_no_tokens_or_data_parallel_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "1")
    monkeypatch.setenv("VLLM_DP_SIZE", "4")
    monkeypatch.setenv("HF_TOKEN", "secret")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    passed = passed_environment()
    assert passed["VLLM_CPU_KVCACHE_SPACE"] == "1" and passed["HF_HUB_OFFLINE"] == "1"
    assert "VLLM_DP_SIZE" not in passed and "HF_TOKEN" not in passed
