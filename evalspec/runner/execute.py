"""The driver: every unit's outputs (cache first, then the executor), judged, scored, recorded.

The driver keeps all state: the response cache, scoring, records, perf and the run
store; the executor (`evalspec.runner.executor`) only runs engine requests. Model
groups run one after another, or, with a parallel executor (Ray), at the same time,
a thread each (`evalspec.runner.parallel`) while this thread scores and records the
units in plan order. Units whose scorer is a judge wait until all groups have
generated, then each judge model loads once (no load when it is the resident last
model) and rates them. Records of a unit are appended (and fsynced) as soon as it is
scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalspec.digests import canonical_json, sha256_bytes
from evalspec.errors import InfraError
from evalspec.monitor import CHART_FILE, MONITOR_FILE, Sampler, interval_from_env
from evalspec.monitor import write_chart as write_monitor_chart
from evalspec.monitor.perf import UnitPerf, cached_perf, unit_perf
from evalspec.plan import ModelGroup, Plan, Unit
from evalspec.runner.events import Events
from evalspec.runner.executor import Executor, GroupDemand
from evalspec.runner.generate import (
    LOGLIKELIHOOD,
    Answers,
    Key,
    LazySession,
    Outputs,
    turn_requests,
    unit_keys,
    unit_outputs,
)
from evalspec.runner.judging import (
    Pending,
    attach_fingerprint,
    judge_generation,
    judge_requests,
    judged_attempts,
)
from evalspec.runner.outcomes import Attempts, failed, records, score_unit, unit_result
from evalspec.runner.parallel import GroupThreads, SerialEvents
from evalspec.scoring.results import UnitResult
from evalspec.spec.scorers import JudgeScorer
from evalspec.store import ResponseCache, Run
from evalspec.store.runfiles import MonitorInfo


@dataclass
class Execution:
    results: list[UnitResult]
    perf: dict[str, UnitPerf]  # unit id -> measurements (+ the monitor's summary)


def execute(
    plan: Plan,
    run: Run,
    executor: Executor,
    events: Events,
    cache: ResponseCache | None = None,
    base_dir: Path | None = None,
) -> Execution:
    """`_Driver.run` under the resource monitor: its ticks go to monitor.jsonl
    (+ monitor.svg), each generated unit's summary joins its perf."""
    sampler = Sampler(run.path / MONITOR_FILE, interval_s=interval_from_env())
    run.annotate(monitor=MonitorInfo.model_validate(sampler.describe()), executor=executor.name)
    if executor.parallel:
        events = SerialEvents(events)
    driver = _Driver(plan, run, executor, events, cache, sampler, base_dir or Path.cwd())
    try:
        sampler.start()
        events.run_started(plan, sampler)
        execution = driver.run()
    finally:
        sampler.stop()
        events.run_finished()
        write_monitor_chart(sampler.ticks, run.path / CHART_FILE)
    for unit_id, measured in execution.perf.items():
        if not measured.cached:  # a fully cached unit ran nothing to measure
            execution.perf[unit_id] = measured.model_copy(update=sampler.summary(unit_id))
    return execution


class _Driver:
    def __init__(
        self,
        plan: Plan,
        run: Run,
        executor: Executor,
        events: Events,
        cache: ResponseCache | None,
        sampler: Sampler,
        base_dir: Path,
    ) -> None:
        self.plan, self.run_, self.executor, self.events = plan, run, executor, events
        self.sampler, self.base_dir = sampler, base_dir
        self.answers = Answers(cache, events, readings=sampler.record)
        self._to_close: list[LazySession] = []  # parallel: every session, closed at the end
        self.results: dict[str, UnitResult] = {}
        self.perf: dict[str, UnitPerf] = {}
        self.fingerprints: dict[str, dict[str, Any]] = {}
        self.pending: list[Pending] = []
        self._label: str | None = None

    def run(self) -> Execution:
        try:
            if self.executor.parallel:
                self._generate_parallel()
            else:
                for group in self.plan.groups:
                    session = self._session(group.request)
                    for unit in group.units:
                        self._generate(unit, session)
            self._judge_all()
        finally:
            for session in self._to_close:
                session.close()
        order = [u.unit_id for u in self.plan.units]
        return Execution([self.results[u] for u in order if u in self.results], self.perf)

    def _generate_parallel(self) -> None:
        """Every group on its own thread; outputs scored and recorded here, in plan order."""
        groups = self.plan.groups
        self.executor.reserve([GroupDemand(g.request, self._misses(g)) for g in groups])
        sessions = [LazySession(self.executor, g.request, self.events) for g in groups]
        self._to_close.extend(sessions)
        threads = GroupThreads(groups, sessions, self._unit_outputs)
        threads.start()
        try:
            for unit in self.plan.units:
                try:
                    outputs = threads.outputs(unit)
                except InfraError as exc:
                    self._failed(unit, str(exc))
                    continue
                self._use(unit, outputs)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM) or a bug: stop the replicas
            threads.stop()
            raise
        threads.join()

    def _unit_outputs(self, unit: Unit, session: LazySession) -> Outputs:
        """(A group thread) the unit's outputs, from the cache and the executor."""
        self.events.unit_started(unit.unit_id, len(unit_keys(unit)))
        return unit_outputs(unit, session, self.answers)

    def _misses(self, group: ModelGroup) -> int:
        """Requests of the group's first turns the cache does not answer (its demand)."""
        return sum(self.answers.misses(turn_requests(u, 0, {})) for u in group.units)

    def _session(self, request: Any) -> LazySession:
        return LazySession(self.executor, request, self.events, on_load=self._loading)

    def _loading(self, label: str | None) -> None:
        """Monitor ticks say `load:<model>` while an engine loads, then the unit again."""
        self.sampler.begin(label if label is not None else self._label)

    def _begin(self, label: str) -> None:
        self._label = label
        self.sampler.begin(label)

    def _generate(self, unit: Unit, session: LazySession) -> None:
        """Generate what the cache lacks; score now, or queue for the judge."""
        self._begin(unit.unit_id)
        self.events.unit_started(unit.unit_id, len(unit_keys(unit)))
        try:
            outputs = unit_outputs(unit, session, self.answers)
        except InfraError as exc:
            self._failed(unit, str(exc))
            return
        self._use(unit, outputs)

    def _use(self, unit: Unit, outputs: Outputs) -> None:
        """Score the unit's outputs now, or queue them for its judge."""
        if not self._usable(unit, outputs):
            return
        fingerprint = outputs.fingerprint or {}
        self._note_fingerprint(unit.model.id, fingerprint)
        self.perf[unit.unit_id] = _perf(unit, outputs)
        unit_fingerprint = _unit_fingerprint(unit, fingerprint)
        if unit.judge is not None:
            self.pending.append(
                Pending(unit, outputs.completions, outputs.cached, unit_fingerprint)
            )
            return
        try:
            attempts = score_unit(unit, outputs.completions, self.base_dir)
        except InfraError as exc:
            self._failed(unit, str(exc))
            return
        self._finish(unit, outputs.completions, attempts, outputs.cached, unit_fingerprint)

    def _usable(self, unit: Unit, outputs: Outputs) -> bool:
        """False (and the unit failed) when some outputs failed at the engine: never scored."""
        errors = outputs.errors
        if errors:
            total = len(unit_keys(unit))
            self._failed(
                unit,
                f"{len(errors)} of {total} outputs failed at the engine (not scored): {errors[0]}",
            )
            return False
        return True

    def _failed(self, unit: Unit, message: str) -> None:
        self.results[unit.unit_id] = result = failed(unit, message)
        self.events.unit_finished(unit.unit_id, result, self.perf.get(unit.unit_id))

    def _judge_all(self) -> None:
        """Rate the pending units, judge by judge (each judge engine loads once)."""
        by_judge: dict[str, list[Pending]] = {}
        requests: dict[str, Any] = {}
        for pending in self.pending:
            assert pending.unit.judge is not None
            request = pending.unit.judge.request
            by_judge.setdefault(request.key, []).append(pending)
            requests[request.key] = request
        resident = self.plan.groups[-1].request.key if self.plan.groups else None
        for key, group in sorted(by_judge.items(), key=lambda item: item[0] != resident):
            session = self._session(requests[key])
            if self.executor.parallel:
                self._to_close.append(session)
            for pending in group:
                self._judge(pending, session)

    def _judge(self, pending: Pending, session: LazySession) -> None:
        unit = pending.unit
        scorer = unit.task.scorer
        assert isinstance(scorer, JudgeScorer)
        self._begin(f"judge:{unit.unit_id}")
        wanted = judge_requests(pending)
        self.events.message(f"judging {unit.unit_id} ({len(wanted)} ratings)")
        replies = Outputs()
        try:
            self.answers.fetch(
                session, unit.unit_id, None, judge_generation(scorer), wanted, replies
            )
        except InfraError as exc:
            self._failed(unit, f"judge: {exc}")
            return
        errors = replies.errors
        if errors:
            self._failed(unit, f"judge: {len(errors)} of {len(wanted)} ratings failed: {errors[0]}")
            return
        attach_fingerprint(pending, replies.fingerprint or {})
        attempts = judged_attempts(pending, replies.completions)
        judged = {k: c.text for k, c in replies.completions.items()}
        self._finish(
            unit, pending.completions, attempts, pending.cached, pending.fingerprint, judged
        )

    def _finish(
        self,
        unit: Unit,
        completions: dict[Key, Any],
        attempts: Attempts,
        cached: set[Key],
        fingerprint: dict[str, Any],
        judged: dict[Key, str] | None = None,
    ) -> None:
        isolation = {s.isolation for a in attempts for s in a if s.isolation is not None}
        if isolation:  # code_exec units: the sandbox that ran them
            fingerprint["sandbox"] = ",".join(sorted(isolation))
        self.run_.append_records(records(unit, completions, attempts, cached, judged))
        self.results[unit.unit_id] = result = unit_result(unit, attempts, fingerprint)
        self.events.unit_finished(unit.unit_id, result, self.perf.get(unit.unit_id))

    def _note_fingerprint(self, model_id: str, fingerprint: dict[str, Any]) -> None:
        if self.fingerprints.get(model_id) != fingerprint and fingerprint:
            self.fingerprints[model_id] = fingerprint
            self.run_.annotate(engine_fingerprints=self.fingerprints)


def _perf(unit: Unit, outputs: Outputs) -> UnitPerf:
    if not outputs.generated:  # nothing generated: no throughput to report
        return cached_perf(len(outputs.cached))
    return unit_perf(
        outputs.stats,
        outputs.generated,
        outputs.load_s,
        cached_outputs=len(outputs.cached),
        generated_tokens=unit.task.output_type != LOGLIKELIHOOD,
    )


def _unit_fingerprint(unit: Unit, fingerprint: dict[str, Any]) -> dict[str, Any]:
    return {
        **fingerprint,
        "model_digest": unit.identity["model"]["source"],
        "adapter_digest": unit.identity["adapter"],
        "prompt_digest": sha256_bytes(canonical_json(unit.identity["prompt"]).encode()),
    }
