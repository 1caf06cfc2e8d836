"""The `check` and `baseline update` pipelines: spec -> plan -> execute -> gate -> report.

Each function calls the stages' public entry points in order and returns plain
objects; the CLI prints them and maps them to exit codes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalspec.adaptive import (
    adaptive_settings,
    build_tracks,
    force_adaptive,
    gate_inputs,
    run_adaptive,
)
from evalspec.engines import ENGINE_LOG, engine_output_to
from evalspec.errors import SpecError
from evalspec.gate import (
    Baseline,
    GateResult,
    baseline_from_results,
    baseline_summary,
    check_rules,
    describe_changes,
    evaluate,
    read_baseline,
    spec_targets,
    unmeasured_units,
)
from evalspec.history.recording import record_check
from evalspec.monitor import interval_from_env
from evalspec.plan import Plan, Targets, compile_plan
from evalspec.report import Reports, render_reports
from evalspec.runner import Events, Executor, Lines, execute, interruptible
from evalspec.runner.select import choose_executor, release
from evalspec.spec import LoadedSpec, LoadedThresholds, load_located_thresholds, load_spec
from evalspec.store import (
    ResponseCache,
    Run,
    RunStore,
    collect_environment,
    default_cache_path,
    default_runs_dir,
    perf_dicts,
)
from evalspec.store.runfiles import RunTargets


@dataclass(frozen=True)
class CheckOutcome:
    run_id: str
    run_dir: Path
    reports: Reports
    exit_code: int
    warnings: list[str] = field(default_factory=list)  # e.g. not recorded in the history


def run_check(
    spec_path: Path,
    *,
    limit: int | None = None,
    runs_dir: Path | None = None,
    events: Events | None = None,
    executor: Executor | None = None,
    use_cache: bool = True,
    history: Path | None = None,
    targets: Targets | None = None,
    engine_log: bool = False,
    adaptive: bool = False,
    executor_name: str | None = None,
    ray_address: str | None = None,
) -> CheckOutcome:
    """use_cache=False neither reads nor writes the response cache. Every gated run is
    recorded in the history index (`history`, else $EVALSPEC_HISTORY or the default).

    `targets` runs part of the spec (--model, --task, --adapter) or another sample mode:
    the gate then compares only the baseline units the targets select, and the report
    says what the run covered. `engine_log` sends what the engines print (fd 1 and 2) to
    engine.log in the run directory while they load and run. adaptive=True runs the spec
    in samples mode adaptive (`evalspec.adaptive`) whatever its file says. Without
    `executor`, `executor_name` / `ray_address` (the CLI's) or the spec's `run:` block
    choose one.

    A run that is interrupted (SIGINT, SIGTERM) or fails on the way is still finished:
    its manifest says "interrupted" or "failed" and why, its results.json exists, and
    every record written so far is kept."""
    events = events or Lines(lambda _: None)
    targets = targets or Targets()
    loaded = load_spec(spec_path)
    if adaptive:
        loaded = force_adaptive(loaded)
    settings = adaptive_settings(loaded)
    plan = compile_plan(loaded, limit=limit, targets=targets)
    rules, baseline = load_gate(loaded)
    if baseline is not None and targets.narrowed:  # units left out on purpose are not missing
        baseline = _selected_units(baseline, targets)
    tracks = (
        None
        if settings is None
        else build_tracks(
            plan.units,
            rules.thresholds if rules is not None else None,
            baseline,
            settings,
            loaded.where("samples"),
        )
    )
    interval_from_env()  # a bad monitor setting is exit 2 before a run directory exists
    chosen = executor or choose_executor(loaded, executor_name, ray_address, events.message)
    events.message(f"{len(plan.units)} units, {plan.engine_loads} engine load(s)")

    cache = ResponseCache(default_cache_path()) if use_cache else None
    try:
        if cache is not None and cache.upgraded:
            events.message(
                f"response cache {cache.path} upgraded ({', '.join(cache.upgraded)}): "
                "entries of the older format were dropped"
            )
        store = RunStore(runs_dir or default_runs_dir())
        adaptive_note = {"adaptive": True} if tracks is not None else {}
        run = store.create(plan.spec_name, {**_manifest(loaded, plan, targets), **adaptive_note})
        events.message(f"run {run.run_id} in {run.path}")
        adaptive_run = None
        with interruptible(run), _engine_output(run, engine_log, events):
            if tracks is None:
                execution = execute(plan, run, chosen, events, cache, loaded.base_dir)
            else:
                adaptive_run = run_adaptive(
                    tracks, plan, run, chosen, events, cache, loaded.base_dir
                )
                execution = adaptive_run.execution
    finally:
        if cache is not None:
            cache.close()
        if executor is None:
            release(chosen)
    errors = [r for r in execution.results if r.error is not None]
    status = "failed" if errors else "complete"
    reason = (
        f"{len(errors)} unit(s) failed; first: {errors[0].unit_id}: {errors[0].error}"
        if errors
        else None
    )
    run.finish(execution.results, status, perf=execution.perf, reason=reason)

    gate_in = gate_inputs(baseline, adaptive_run) if adaptive_run is not None else None
    result = evaluate(
        execution.results,
        rules.thresholds if rules is not None else None,
        gate_in.baseline if gate_in is not None else baseline,
        perf_dicts(execution.perf),
        where=rules.where if rules is not None else None,
        sequential=gate_in.sequential if gate_in is not None else None,
        adaptive=gate_in.account if gate_in is not None else None,
    )
    baseline_run = baseline.provenance.run_id if baseline is not None else None
    scope = targets.scope(len(plan.units), len(spec_targets(loaded.spec)), loaded.spec.samples.mode)
    reports = gate_reports(result, plan.spec_name, run, baseline_run, store, scope)
    warnings = record_check(run, result, reports, baseline_run, history)
    return CheckOutcome(run.run_id, run.path, reports, result.exit_code, warnings)


def _engine_output(run: Run, to_log: bool, events: Events) -> AbstractContextManager[object]:
    """Engine output to the run's engine.log (when asked), or left where it goes."""
    if not to_log:
        return nullcontext()
    log = run.path / ENGINE_LOG
    events.message(f"engine output goes to {log}")
    return engine_output_to(log)


def _selected_units(baseline: Baseline, targets: Targets) -> Baseline:
    """The baseline without the units that targets leave out."""
    units = {
        unit_id: entry
        for unit_id, entry in baseline.units.items()
        if targets.selects(entry.model, entry.adapter, entry.task)
    }
    return baseline.model_copy(update={"units": units})


def load_gate(loaded: LoadedSpec) -> tuple[LoadedThresholds | None, Baseline | None]:
    """The spec's thresholds (each rule checked to select a metric of the spec's units) and
    its baseline (checked to be this spec's), as `check` and `validate` read them."""
    thresholds_path, baseline_path = _gate_paths(loaded)
    rules = None
    if thresholds_path is not None:
        rules = load_located_thresholds(thresholds_path)
        check_rules(rules.thresholds, spec_targets(loaded.spec), rules.where)
    baseline = read_baseline(baseline_path, loaded.spec.name) if baseline_path else None
    return rules, baseline


def gate_reports(
    result: GateResult,
    spec_name: str,
    run: Run,
    baseline_run_id: str | None,
    store: RunStore,
    scope: str | None = None,
) -> Reports:
    """The reports of a gated run, with flipped samples from its records.

    They show the baseline's outputs too when the baseline run's directory is in
    the same store, else only the candidate's.
    """
    baseline_records = None
    if baseline_run_id is not None:
        try:
            baseline_records = store.get(baseline_run_id).read_records()
        except SpecError:
            baseline_records = None
    return render_reports(
        result,
        spec_name=spec_name,
        run_id=run.run_id,
        baseline_run_id=baseline_run_id,
        candidate_records=run.read_records(),
        baseline_records=baseline_records,
        perf=perf_dicts(run.load_perf()),
        scope=scope,
    )


@dataclass(frozen=True)
class BaselineUpdate:
    path: Path
    run_id: str
    baseline: Baseline
    changes: list[str]


def prepare_baseline(
    spec_path: Path, *, run_id: str | None = None, runs_dir: Path | None = None
) -> BaselineUpdate:
    """The baseline a complete run would become, and what it changes; writes nothing."""
    loaded = load_spec(spec_path)
    baseline_path = _required_baseline_path(loaded)
    store = RunStore(runs_dir or default_runs_dir())
    run = store.get(run_id) if run_id else store.latest(loaded.spec.name)
    if run is None:
        raise SpecError(
            f"no complete run of spec '{loaded.spec.name}' in {store.root}; "
            f"run `evalspec check {spec_path}` first"
        )
    manifest = run.manifest
    if manifest.status != "complete":
        why = f": {manifest.reason}" if manifest.reason else ""
        raise SpecError(
            f"run {run.run_id} did not complete (status {manifest.status}{why}); "
            "only a complete run can become a baseline"
        )
    if manifest.spec != loaded.spec.name:
        raise SpecError(f"run {run.run_id} is of spec '{manifest.spec}', not '{loaded.spec.name}'")
    if manifest.adaptive:
        raise SpecError(
            f"run {run.run_id} is adaptive: it stopped each task once its gate was decided, "
            "and a baseline needs an outcome for every sample; run `evalspec check "
            f"{spec_path}` without --adaptive (a fixed samples mode) and update from that run"
        )
    old = read_baseline(baseline_path, loaded.spec.name)
    results, perf = run.load_results(), perf_dicts(run.load_perf())
    new = baseline_from_results(
        loaded.spec.name,
        run.run_id,
        manifest.git_sha,
        results,
        perf,
        old,
        order_seed=loaded.spec.samples.seed,
    )
    new, merged = _keep_untargeted(new, old, manifest.targets)
    kept = [
        f"{unit_id}: perf kept from the previous baseline (this run did not measure it like "
        "a full run: its outputs came from the response cache)"
        for unit_id in unmeasured_units(results, perf)
        if unit_id in new.units and new.units[unit_id].perf
    ]
    changes = [*describe_changes(old, new), *kept, *merged]
    return BaselineUpdate(baseline_path, run.run_id, new, changes)


def _keep_untargeted(
    new: Baseline, old: Baseline | None, recorded: RunTargets | None
) -> tuple[Baseline, list[str]]:
    """A targeted run updates only the units it selected: the previous baseline's other
    units are kept as they were (and said so)."""
    targets = Targets.from_dict(recorded.model_dump() if recorded is not None else None)
    if old is None or not targets.narrowed:
        return new, []
    kept = {
        unit_id: entry
        for unit_id, entry in old.units.items()
        if not targets.selects(entry.model, entry.adapter, entry.task)
    }
    if not kept:
        return new, []
    merged = new.model_copy(update={"units": {**kept, **new.units}})
    return merged, [
        f"kept {len(kept)} unit(s) of the previous baseline that the targeted run "
        f"({targets.options()}) did not run: {', '.join(sorted(kept))}"
    ]


def show_baseline(spec_path: Path) -> str:
    """A readable summary of the spec's committed baseline."""
    loaded = load_spec(spec_path)
    baseline_path = _required_baseline_path(loaded)
    baseline = read_baseline(baseline_path, loaded.spec.name)
    if baseline is None:
        raise SpecError(
            f"{baseline_path}: no baseline yet; run `evalspec check {spec_path}` and "
            f"`evalspec baseline update {spec_path}`"
        )
    return baseline_summary(baseline, baseline_path)


def _required_baseline_path(loaded: LoadedSpec) -> Path:
    _, baseline_path = _gate_paths(loaded)
    if baseline_path is None:
        raise SpecError(
            f"{loaded.where('gate')}: spec '{loaded.spec.name}' has no gate.baseline; "
            "add `gate: {baseline: ../baselines/NAME.json}`"
        )
    return baseline_path


def _gate_paths(loaded: LoadedSpec) -> tuple[Path | None, Path | None]:
    gate = loaded.spec.gate
    thresholds = _display_path(loaded.base_dir / gate.thresholds) if gate.thresholds else None
    baseline = _display_path(loaded.base_dir / gate.baseline) if gate.baseline else None
    return thresholds, baseline


def _display_path(path: Path) -> Path:
    """Normalised, and relative to the working directory when under it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd())
    except ValueError:
        return resolved


def _manifest(loaded: LoadedSpec, plan: Plan, targets: Targets) -> dict[str, Any]:
    return {
        "targets": targets.to_dict() if targets.narrowed or targets.mode else None,
        "spec_path": str(loaded.path),
        "spec_digest": loaded.digest,
        "environment": collect_environment(),
        "engines": [
            {
                "model": g.request.model_id,
                "engine": g.request.engine,
                "source": g.request.source.location,
                "source_digest": g.request.source.digest,
                "device": g.request.device,
                "args": dict(g.request.args),
            }
            for g in plan.groups
        ],
        "units": [
            {
                "unit_id": u.unit_id,
                "hash": u.hash,
                "model": u.model.id,
                "adapter": u.adapter.id if u.adapter else None,
                "task": u.task.id,
                "samples": len(u.samples),
                "identity": u.identity,
            }
            for u in plan.units
        ],
    }
