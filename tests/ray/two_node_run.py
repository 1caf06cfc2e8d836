"""A run on a two-node fake cluster (ray.cluster_utils.Cluster) losing a node mid-run.

Run as a script by test_two_nodes.py (a process of its own: one process joins one
cluster). Each worker node has one engine slot, so the two replicas land on different
nodes; when the second replica has returned a shard, its node is removed. The run
must complete on the other node with the local executor's records. Prints one JSON
line: the exit code, the records, what was generated where, and the removed node.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "runner")]

import fake_engine  # noqa: E402
import ray  # noqa: E402
import replica_engines  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402
from ray_specs import comparable, write_spec  # noqa: E402
from replica_engines import LoggedLoader, generated  # noqa: E402

from evalspec.checking import run_check  # noqa: E402
from evalspec.runner import LocalExecutor  # noqa: E402
from evalspec.runner.ray import RayExecutor, RaySettings  # noqa: E402
from evalspec.spec import load_spec  # noqa: E402
from evalspec.store.cache import RESPONSE_CACHE_ENV  # noqa: E402

STORE = 80 * 1024 * 1024


def main(workdir: Path) -> None:
    spec = write_spec(
        workdir,
        models=["m"],
        run={"executor": "ray", "resource": "engine_slot", "replicas": 2, "shard_size": 2},
    )
    os.environ[RESPONSE_CACHE_ENV] = str(workdir / "local.sqlite")
    local = run_check(
        spec, runs_dir=workdir / "runs", executor=LocalExecutor(fake_engine.FakeEngines().pool())
    )
    os.environ[RESPONSE_CACHE_ENV] = str(workdir / "ray.sqlite")

    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "object_store_memory": STORE, "include_dashboard": False},
    )
    nodes = [
        cluster.add_node(num_cpus=1, resources={"engine_slot": 1}, object_store_memory=STORE)
        for _ in range(2)
    ]
    ray.init(address=cluster.address, log_to_driver=False)
    ray.cloudpickle.register_pickle_by_value(fake_engine)
    ray.cloudpickle.register_pickle_by_value(replica_engines)
    log = workdir / "generated.log"
    executor = RayExecutor(
        RaySettings.from_spec(load_spec(spec).spec.run), loader=LoggedLoader(log, delay_s=0.4)
    )
    removed: dict[str, object] = {}

    def remove_second_replicas_node() -> None:
        while not any(i.replica == "m#1" for i in executor.loads):
            time.sleep(0.05)
        info = next(i for i in executor.loads if i.replica == "m#1")
        while not any(pid == info.pid for pid, _ in generated(log)):
            time.sleep(0.05)
        node = next(n for n in nodes if n.node_id.startswith(info.node_id))
        cluster.remove_node(node, allow_graceful=False)
        removed.update(node_id=info.node_id, pid=info.pid)

    threading.Thread(target=remove_second_replicas_node, daemon=True).start()
    try:
        outcome = run_check(spec, runs_dir=workdir / "runs", executor=executor)
    finally:
        executor.close()
        ray.shutdown()
        cluster.shutdown()
    print(
        json.dumps(
            {
                "exit_code": outcome.exit_code,
                "same_records": comparable(outcome.run_dir) == comparable(local.run_dir),
                "removed": removed,
                "nodes": sorted({i.node_id for i in executor.loads}),
                "generated": generated(log),
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
