"""One local Ray cluster for the whole test session: two engine slots (a custom resource).

The cluster runs in this process's Ray (started once, shut down at the end); its two
`engine_slot` units stand for two GPUs, so replicas are placed as on a two-GPU runner
without any GPU. The test-side loaders travel to the actors by value.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "runner"))  # fake_engine, the in-process stand-in

ray = pytest.importorskip("ray", reason="the ray extra is not installed (make install)")

SLOT = "engine_slot"
OBJECT_STORE = 80 * 1024 * 1024


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """A local cluster with 2 CPUs and 2 engine slots, shared by every test that needs one."""
    import fake_engine
    import replica_engines

    ray.cloudpickle.register_pickle_by_value(fake_engine)
    ray.cloudpickle.register_pickle_by_value(replica_engines)
    if ray.is_initialized():
        ray.shutdown()
    ray.init(
        num_cpus=2,
        num_gpus=0,
        resources={SLOT: 2},
        object_store_memory=OBJECT_STORE,
        include_dashboard=False,
        log_to_driver=False,
    )
    try:
        yield
    finally:
        ray.shutdown()
