"""Model groups at the same time: one driver thread per group generates its units' outputs.

Used with an executor whose `parallel` is true (the Ray executor): each group's thread
asks the cache, then the executor, for its units' outputs in plan order and hands each
unit's `Outputs` (or its `InfraError`) to a slot. The driver's main thread takes the
slots in plan order and scores and records them, so records come out in plan order
whatever order the groups finish in, and only the main thread writes records and the
run store (the threads write the response cache, through `Answers`, under its lock).

A group's session is closed (its replicas given back for other groups) as soon as its
units are generated; a judge of the same model loads it again after all generation (a
group holding its GPUs for a later judge could starve a group waiting for them).
`stop()` closes every session, which ends the threads' waits; the main thread calls it
when it is interrupted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from evalspec.errors import InfraError
from evalspec.monitor import Sampler
from evalspec.monitor.perf import UnitPerf
from evalspec.plan import ModelGroup, Plan, Unit
from evalspec.runner.events import Events
from evalspec.runner.generate import LazySession, Outputs
from evalspec.scoring.results import UnitResult


class GroupThreads:
    """Runs `outputs(unit, session)` for every unit, a thread per model group."""

    def __init__(
        self,
        groups: Sequence[ModelGroup],
        sessions: Sequence[LazySession],
        outputs: Callable[[Unit, LazySession], Outputs],
    ) -> None:
        self._groups, self._sessions, self._outputs = groups, sessions, outputs
        self._slots: dict[str, Future[Outputs]] = {
            u.unit_id: Future() for g in groups for u in g.units
        }
        self._threads = [
            threading.Thread(
                target=self._group, args=(g, s), name=f"evalspec-{g.request.model_id}", daemon=True
            )
            for g, s in zip(groups, sessions, strict=True)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def outputs(self, unit: Unit) -> Outputs:
        """The unit's outputs once its group thread has them (its InfraError, re-raised)."""
        return self._slots[unit.unit_id].result()

    def stop(self) -> None:
        """Close every session (ends the threads' waits on their replicas)."""
        for session in self._sessions:
            session.close()

    def join(self, timeout_s: float = 30.0) -> None:
        for thread in self._threads:
            thread.join(timeout_s)

    def _group(self, group: ModelGroup, session: LazySession) -> None:
        units = list(group.units)
        try:
            for index, unit in enumerate(units):
                slot = self._slots[unit.unit_id]
                try:
                    slot.set_result(self._outputs(unit, session))
                except InfraError as exc:
                    slot.set_exception(exc)
                except BaseException as exc:  # a bug, or the run stopping: fail the rest too
                    for rest in units[index:]:
                        if not self._slots[rest.unit_id].done():
                            self._slots[rest.unit_id].set_exception(exc)
                    return
        finally:
            session.close()


class SerialEvents:
    """Events from several threads, one call at a time (displays need not be thread-safe)."""

    def __init__(self, events: Events) -> None:
        self._events = events
        self._lock = threading.Lock()

    def message(self, text: str) -> None:
        with self._lock:
            self._events.message(text)

    def run_started(self, plan: Plan, sampler: Sampler) -> None:
        with self._lock:
            self._events.run_started(plan, sampler)

    def unit_started(self, unit_id: str, outputs: int) -> None:
        with self._lock:
            self._events.unit_started(unit_id, outputs)

    def outputs_done(
        self, unit_id: str, count: int, *, cached: bool, completion_tokens: int, wall_s: float
    ) -> None:
        with self._lock:
            self._events.outputs_done(
                unit_id, count, cached=cached, completion_tokens=completion_tokens, wall_s=wall_s
            )

    def unit_finished(self, unit_id: str, result: UnitResult, perf: UnitPerf | None) -> None:
        with self._lock:
            self._events.unit_finished(unit_id, result, perf)

    def run_finished(self) -> None:
        with self._lock:
            self._events.run_finished()
