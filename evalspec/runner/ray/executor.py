"""The Ray executor: each model group's engine replicas as Ray actors, its batches as shards.

`RayExecutor.open(request)` sizes the group (`ReplicaLedger`), makes the weights local
once (the driver converts or downloads them before any replica starts), starts that
many `EngineReplica` actors and returns as soon as one has loaded (the others join
when they are ready). `RaySession.run(batch)` cuts the batch into stable shards and
keeps about two in flight per live replica, yielding each shard's completions as it
returns, for the driver to cache and record. What it touches: Ray actors and the
cluster connection, nothing of the run's state.

Faults: a replica whose actor died (a crash, a lost node, `ray.kill`) or whose engine
died (it raised: the executor kills the actor so Ray restarts it) or whose shard ran
past `shard_timeout_s` (killed and restarted) gives its shards back to the queue for
the restarted or another replica; shards already returned are in the cache and never
run again. A model whose replicas cannot load fails its units (exit 3); others go on.
`close()` stops every actor (Ctrl-C ends here too).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalspec.engines import ENGINES, BatchStats, Engine, EngineRequest
from evalspec.engines.pool import load_engine
from evalspec.errors import InfraError
from evalspec.monitor import interval_from_env
from evalspec.runner.executor import Batch, ChunkResult, GroupDemand
from evalspec.runner.local import chunk_size
from evalspec.runner.ray.actor import (
    EngineDied,
    EngineReplica,
    ReplicaInfo,
    ShardResult,
    ShardTask,
)
from evalspec.runner.ray.cluster import Connection, capacity, connect, disconnect
from evalspec.runner.ray.dispatch import ShardQueue
from evalspec.runner.ray.placement import (
    Need,
    ReplicaLedger,
    actor_options,
    cpu_binding,
    passed_environment,
    replica_need,
)
from evalspec.runner.ray.prefetch import prefetch_weights
from evalspec.runner.ray.settings import RaySettings
from evalspec.runner.ray.sharding import make_shards, shard_size

Loader = Callable[[EngineRequest], Engine]
WAIT_S = 0.5
RETRY_S = 0.5  # between ready() calls to a restarting replica
DEFAULT_BATCH_WIDTH = 256


class RayExecutor:
    """Runs model groups at the same time, each on its own replicas, on a Ray cluster."""

    name = "ray"
    parallel = True

    def __init__(
        self,
        settings: RaySettings | None = None,
        *,
        loader: Loader = load_engine,
        notify: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.settings = settings or RaySettings()
        self._loader, self._notify = loader, notify
        self._interval_s = interval_from_env()
        self._connection: Connection | None = None
        self._work: dict[str, int] = {}
        self._ledgers: dict[str, ReplicaLedger] = {}
        self._sessions: list[RaySession] = []
        self._lock = threading.Lock()
        self._closed = False
        self._started = 0  # replicas started so far (CPU replicas bind cores by it)
        self._remote_class: Any = None  # EngineReplica as a Ray actor class
        self.token = uuid.uuid4().hex[:8]  # actor names: evalspec/<token>/<model>#<index>
        self.loads: list[ReplicaInfo] = []  # every replica load (restarts included)

    def reserve(self, demands: Sequence[GroupDemand]) -> None:
        self._connect()
        self._work = {group_key(d.request): d.requests for d in demands}

    def open(self, request: EngineRequest) -> RaySession:
        self._connect()
        need = self._need(request)
        ledger = self._ledger(need.resource)
        wanted = self.settings.replicas_for(request.model_id)
        key = group_key(request)
        count = ledger.acquire(key, need, wanted, lambda: self._closed)
        try:
            prefetch_weights(request)
            session = self._start(request, need, count, lambda: ledger.release(key))
            session.await_first()
        except BaseException:
            ledger.release(key)
            raise
        return session

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        if self._connection is not None:
            disconnect(self._connection)
            self._connection = None

    def say(self, text: str) -> None:
        with self._lock:
            self._notify(text)

    def _connect(self) -> None:
        with self._lock:
            if self._closed:
                raise InfraError("the Ray executor was closed")
            if self._connection is None:
                self._connection = connect(self.settings.address)

    def _need(self, request: EngineRequest) -> Need:
        s = self.settings
        remote = ENGINES[request.engine].remote
        return replica_need(request, s.resource, s.per_replica, s.cpus_per_replica, remote)

    def _ledger(self, resource: str) -> ReplicaLedger:
        with self._lock:
            if resource not in self._ledgers:
                free, largest = capacity(resource)
                self._ledgers[resource] = ReplicaLedger(resource, free, largest, self._work)
            return self._ledgers[resource]

    def _start(
        self, request: EngineRequest, need: Need, count: int, release: Callable[[], None]
    ) -> RaySession:
        import ray

        if self._remote_class is None:
            self._remote_class = ray.remote(EngineReplica)
        remote_class = self._remote_class
        options = actor_options(need, self.settings.max_restarts, passed_environment())
        replicas = []
        with self._lock:
            first, self._started = self._started, self._started + count
        for index in range(count):
            label = f"{request.model_id}#{index}"
            bind = cpu_binding(first + index, need.cores)
            handle = remote_class.options(name=self.actor_name(label), **options).remote(
                request,
                self._loader,
                label,
                self._interval_s,
                bind if request.device == "cpu" else None,
            )
            replicas.append(_Replica(label, handle))
        self.say(f"{request.model_id}: {count} replica(s), {need.amount:g} {need.resource} each")
        session = RaySession(self, request, replicas, release)
        with self._lock:
            self._sessions.append(session)
        return session

    def actor_name(self, label: str) -> str:
        """The Ray actor name of a replica (`ray list actors` shows it)."""
        return f"evalspec/{self.token}/{label}"

    def loaded(self, info: ReplicaInfo) -> None:
        with self._lock:
            self.loads.append(info)


def group_key(request: EngineRequest) -> str:
    """A model group's key in the ledger (two models may share one engine request)."""
    return f"{request.model_id}\0{request.key}"


@dataclass
class _Replica:
    """The driver's view of one replica."""

    label: str
    handle: Any  # ray.actor.ActorHandle
    ready_ref: Any = None  # a pending ready() call: loading or restarting
    info: ReplicaInfo | None = None  # set while it is loaded and live
    dead: str | None = None  # why it is gone for good
    failures: int = 0  # deaths seen (Ray restarts it up to max_restarts times)
    retry_at: float = 0.0  # when to ask a restarting replica whether it is ready
    waiting_since: float = field(default_factory=time.perf_counter)  # loading since

    @property
    def live(self) -> bool:
        return self.info is not None and self.dead is None


class RaySession:
    """One model group's replicas; one batch at a time, sharded over them."""

    def __init__(
        self,
        executor: RayExecutor,
        request: EngineRequest,
        replicas: list[_Replica],
        release: Callable[[], None],
    ) -> None:
        self._executor, self._request, self._replicas = executor, request, replicas
        self._release = release
        self._settings = executor.settings
        self._started = time.perf_counter()
        self._load_s: float | None = None
        self._fingerprint: dict[str, Any] | None = None
        self._closed = False
        self._released = False
        for replica in replicas:
            replica.ready_ref = replica.handle.ready.remote()

    @property
    def load_s(self) -> float | None:
        return self._load_s

    @property
    def usable(self) -> bool:
        return not self._closed and any(r.dead is None for r in self._replicas)

    def fingerprint(self) -> dict[str, Any]:
        assert self._fingerprint is not None, "await_first() sets it"
        return self._fingerprint

    def await_first(self) -> None:
        """Wait until one replica has loaded (InfraError: none could)."""
        while not any(r.live for r in self._replicas):
            self._check_open()
            if not self.usable:
                self.close()
                raise InfraError(f"{self._request.model_id}: {self._dead_reasons()}")
            self._handle(self._wait(self._ready_refs()), {}, None)

    def run(self, batch: Batch) -> Iterator[ChunkResult]:
        self._check_open()
        live = sum(1 for r in self._replicas if r.dead is None)
        size = shard_size(
            len(batch.items),
            live,
            batch_width=int(dict(self._request.args).get("max_num_seqs", DEFAULT_BATCH_WIDTH)),
            chunk=chunk_size(self._request),
            override=self._settings.shard_size,
        )
        shards = {s.shard_id: s for s in make_shards(batch.items, size)}
        queue = ShardQueue(list(shards.values()))
        flying: dict[Any, tuple[_Replica, int]] = {}
        last = time.perf_counter()
        while not queue.finished:
            self._check_open()
            self._dispatch(queue, flying, batch)
            if not flying and not self._coming():
                raise InfraError(f"{self._request.model_id}: {self._dead_reasons()}")
            for ref in self._wait(list(flying) + self._ready_refs()):
                done = self._handle([ref], flying, queue)
                if done is None:
                    continue
                replica, result = done
                now = time.perf_counter()
                stats = BatchStats(
                    now - last, result.stats.prompt_tokens, result.stats.completion_tokens
                )
                last = now
                fingerprint = replica.info.fingerprint if replica.info else None
                yield ChunkResult(
                    shards[result.shard_id].items,
                    result.completions,
                    stats,
                    fingerprint=fingerprint if fingerprint != self._fingerprint else None,
                    readings=result.readings,
                )
            self._restart_overdue(queue, flying)

    def close(self) -> None:
        """Stop every replica (no restart) and give the group's resources back."""
        import ray

        self._closed = True
        for replica in self._replicas:
            if replica.dead is None:
                replica.dead = "stopped"
                ray.kill(replica.handle, no_restart=True)
        if not self._released:
            self._released = True
            self._release()

    # -- inside the loop ------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise InfraError(f"the run stopped; {self._request.model_id}'s replicas were stopped")

    def _ready_refs(self) -> list[Any]:
        self._ask_ready()
        return [r.ready_ref for r in self._replicas if r.ready_ref is not None and r.dead is None]

    def _coming(self) -> bool:
        """Some replica is loading or restarting."""
        return any(r.dead is None and r.info is None for r in self._replicas)

    def _dispatch(
        self, queue: ShardQueue, flying: dict[Any, tuple[_Replica, int]], batch: Batch
    ) -> None:
        """Fill every live replica up to the queue's depth, the emptiest first."""
        now = time.perf_counter()
        for replica in sorted(self._replicas, key=lambda r: queue.held(r.label)):
            while replica.live:
                shard = queue.take(replica.label, now)
                if shard is None:
                    break
                task = ShardTask(
                    shard.shard_id, batch.unit_id, batch.adapter, batch.params, shard.items
                )
                flying[replica.handle.run.remote(task)] = (replica, shard.shard_id)

    def _wait(self, refs: list[Any]) -> list[Any]:
        """The refs that are done, waiting up to WAIT_S for the first."""
        import ray

        if not refs:
            time.sleep(WAIT_S)
            return []
        done, _ = ray.wait(refs, num_returns=1, timeout=WAIT_S)
        if not done:
            return []
        done, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        return list(done)

    def _handle(
        self, refs: list[Any], flying: dict[Any, tuple[_Replica, int]], queue: ShardQueue | None
    ) -> tuple[_Replica, ShardResult] | None:
        """Finished calls: a replica's ready(), or a shard (its result is returned)."""
        for ref in refs:
            if ref in flying and queue is not None:
                replica, shard_id = flying.pop(ref)
                done = self._shard_done(ref, replica, shard_id, flying, queue)
                if done is not None:
                    return done
            else:  # a ready() answer (or a shard already given up on: ignored)
                for replica in self._replicas:
                    if replica.ready_ref is not None and replica.ready_ref == ref:
                        self._ready_done(replica)
        return None

    def _ready_done(self, replica: _Replica) -> None:
        import ray
        from ray.exceptions import ActorUnavailableError, RayActorError, RayTaskError

        ref, replica.ready_ref = replica.ready_ref, None
        try:
            info = ray.get(ref)
        except RayTaskError as exc:
            if isinstance(exc.cause, EngineDied):  # the old process answered: ask the new one
                replica.retry_at = time.perf_counter() + RETRY_S
            elif isinstance(exc.cause, InfraError):  # it could not load: it never will
                self._bury(replica, str(exc.cause))
            else:
                self._bury(replica, f"{exc.cause!r}")
            return
        except ActorUnavailableError:  # restarting: ask again shortly
            replica.retry_at = time.perf_counter() + RETRY_S
            return
        except RayActorError as exc:  # dead for good (restarts used up, or stopped)
            self._bury(replica, _first_line(exc))
            return
        self._loaded(replica, info)

    def _shard_done(
        self,
        ref: Any,
        replica: _Replica,
        shard_id: int,
        flying: dict[Any, tuple[_Replica, int]],
        queue: ShardQueue,
    ) -> tuple[_Replica, ShardResult] | None:
        import ray
        from ray.exceptions import RayActorError, RayTaskError

        try:
            result: ShardResult = ray.get(ref)
        except RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, EngineDied):
                ray.kill(replica.handle, no_restart=False)  # Ray restarts it, fresh
                self._lost(replica, str(cause), flying, queue)
                return None
            if isinstance(cause, InfraError):  # the requests' own problem: the unit fails
                raise InfraError(str(cause)) from None
            raise InfraError(f"replica {replica.label}: {cause!r}") from None
        except RayActorError as exc:  # the process died (crash, lost node, ray.kill)
            self._lost(replica, _first_line(exc), flying, queue)
            return None
        if queue.finish(replica.label, shard_id, time.perf_counter()):
            return replica, result
        return None

    def _loaded(self, replica: _Replica, info: ReplicaInfo) -> None:
        replica.info = info
        self._executor.loaded(info)
        if self._fingerprint is None:
            self._fingerprint = info.fingerprint
            self._load_s = time.perf_counter() - self._started
        if replica.failures:
            self._executor.say(f"replica {replica.label} is back (pid {info.pid})")

    def _lost(
        self,
        replica: _Replica,
        reason: str,
        flying: dict[Any, tuple[_Replica, int]],
        queue: ShardQueue,
    ) -> None:
        """The replica's process died or restarts: requeue its shards, wait for it again
        (Ray restarts it up to max_restarts times; then ready() says it is dead)."""
        for ref in [ref for ref, (r, _) in flying.items() if r is replica]:
            del flying[ref]  # a late answer from the old process is not waited for
        replica.info = None
        replica.failures += 1
        replica.retry_at = replica.waiting_since = time.perf_counter()
        self._executor.say(f"replica {replica.label} lost ({reason}); restarting")
        queue.fail(replica.label, reason)  # ShardFailed after too many attempts

    def _ask_ready(self) -> None:
        """Send ready() to replicas that wait for a restart (and are due to be asked); give
        up on one not loaded within shard_timeout_s (no resources came free, say)."""
        now = time.perf_counter()
        limit = self._settings.shard_timeout_s
        for replica in self._replicas:
            if replica.dead is not None or replica.info is not None:
                continue
            if now - replica.waiting_since > limit:
                self._bury(replica, f"not loaded within {limit:g} s (shard_timeout_s)")
            elif replica.ready_ref is None and replica.retry_at <= now:
                replica.ready_ref = replica.handle.ready.remote()

    def _bury(self, replica: _Replica, reason: str) -> None:
        import ray

        replica.dead, replica.info, replica.ready_ref = reason, None, None
        ray.kill(replica.handle, no_restart=True)
        if not self.usable and not self._released:
            self._released = True
            self._release()

    def _restart_overdue(self, queue: ShardQueue, flying: dict[Any, tuple[_Replica, int]]) -> None:
        import ray

        timeout = self._settings.shard_timeout_s
        for label in queue.overdue(time.perf_counter(), timeout):
            replica = next(r for r in self._replicas if r.label == label)
            ray.kill(replica.handle, no_restart=False)
            self._lost(replica, f"a shard ran over {timeout:g} s", flying, queue)

    def _dead_reasons(self) -> str:
        reasons = sorted({r.dead for r in self._replicas if r.dead and r.dead != "stopped"})
        return "no replica is left: " + ("; ".join(reasons) or "all were stopped")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
