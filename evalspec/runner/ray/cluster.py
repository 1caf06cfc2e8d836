"""The Ray cluster a run uses: an existing one (`--ray-address`, $RAY_ADDRESS, a Ray Job's),
or a local one evalspec starts on this machine (every GPU of a multi-GPU runner).

A local cluster is started with a small object store (shards carry prompts and
completions, never tensors) and no dashboard, and is shut down when the run ends (the
replicas' own logs stay in Ray's log directory, not in the run's output); a
cluster this process was already connected to (a test session, a notebook) or one
reached by address is left running, only the run's own actors are stopped.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from evalspec.errors import InfraError

OBJECT_STORE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Connection:
    started_here: bool  # this process started the cluster (and shuts it down)
    address: str  # what it connected to ("local" for a cluster it started)


def connect(address: str | None) -> Connection:
    """Connect to the cluster at `address` ("auto", "ray://host:10001", "host:6379"),
    to $RAY_ADDRESS, to the one this process already joined, or start a local one."""
    import ray

    if ray.is_initialized():
        return Connection(False, "already connected")
    target = address or os.environ.get("RAY_ADDRESS") or None
    # replicas' own output (vLLM's logs) stays in Ray's log directory
    # (/tmp/ray/session_latest/logs on each node), not in the run's output
    options = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
    try:
        with _own_sigterm():
            if target is None:
                ray.init(object_store_memory=OBJECT_STORE_BYTES, **options)  # type: ignore[arg-type]
                return Connection(True, "local")
            ray.init(address=target, **options)  # type: ignore[arg-type]
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = target or "a new local cluster"
        raise InfraError(
            f"cannot reach the Ray cluster at {where}: {exc}; start one with "
            "`ray start --head` and pass --ray-address auto (or the head's address), or "
            "leave --ray-address out to start a local cluster"
        ) from exc
    return Connection(True, target)


@contextmanager
def _own_sigterm() -> Iterator[None]:
    """Keep this process's SIGTERM handler across `ray.init`, which installs its own
    (`sys.exit(15)`): the run's handler (`runner.interrupts`) finishes the run as
    interrupted and exits 143, and a SIGTERM must reach it."""
    main = threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGTERM) if main else None
    try:
        yield
    finally:
        if main and before is not None:
            signal.signal(signal.SIGTERM, before)


def disconnect(connection: Connection) -> None:
    """Leave a cluster this process joined (a local one it started stops with it)."""
    import ray

    if connection.started_here and ray.is_initialized():
        ray.shutdown()


def capacity(resource: str) -> tuple[float, float]:
    """(free units of `resource` in the cluster now, the most any one alive node has)."""
    import ray

    free = float(ray.available_resources().get(resource, 0.0))  # type: ignore[no-untyped-call]
    nodes = ray.nodes()  # type: ignore[no-untyped-call]
    largest = max(
        (float(node["Resources"].get(resource, 0.0)) for node in nodes if node["Alive"]),
        default=0.0,
    )
    return free, largest
