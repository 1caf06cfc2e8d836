"""The `diff` pipeline: gate one run against another (A as the baseline) and render the reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evalspec.errors import InfraError
from evalspec.gate import baseline_from_results, check_rules, evaluate, result_targets
from evalspec.report import Reports, render_reports
from evalspec.scoring.results import UnitResult
from evalspec.spec import LoadedThresholds, load_located_thresholds, load_spec
from evalspec.store import Run, RunStore, default_runs_dir, perf_dicts


@dataclass(frozen=True)
class DiffOutcome:
    baseline_run: str
    candidate_run: str
    thresholds: Path | None
    reports: Reports
    exit_code: int


def run_diff(
    run_a: str,
    run_b: str,
    *,
    thresholds_path: Path | None = None,
    runs_dir: Path | None = None,
) -> DiffOutcome:
    """Gate run B against a baseline made from run A's results.

    A run is a run id in the runs directory or the path of a run directory.
    Without ``thresholds_path`` the rules of run B's spec apply when its spec
    file (as recorded in the manifest) is still there; otherwise no rules do, and
    the report shows the differences without failing on them. A candidate that
    did not complete is never a pass: its missing units are ERROR rows (exit 3),
    and one without any result is an infrastructure error.
    """
    store = RunStore(runs_dir or default_runs_dir())
    baseline_run, candidate_run = store.find(run_a), store.find(run_b)
    baseline_manifest = baseline_run.manifest
    spec_name = candidate_run.manifest.spec
    baseline = baseline_from_results(
        baseline_manifest.spec,
        baseline_run.run_id,
        baseline_manifest.git_sha,
        baseline_run.load_results(),
        perf_dicts(baseline_run.load_perf()),
    )
    candidate, incomplete = _candidate_units(candidate_run)
    thresholds_path = thresholds_path or _spec_thresholds(candidate_run)
    rules: LoadedThresholds | None = (
        load_located_thresholds(thresholds_path) if thresholds_path else None
    )
    if rules is not None:
        check_rules(rules.thresholds, result_targets(candidate, baseline), rules.where)
    candidate_perf = perf_dicts(candidate_run.load_perf())
    result = evaluate(
        candidate,
        rules.thresholds if rules is not None else None,
        baseline,
        candidate_perf,
        where=rules.where if rules is not None else None,
        incomplete=incomplete,
    )
    reports = render_reports(
        result,
        spec_name=spec_name,
        run_id=candidate_run.run_id,
        baseline_run_id=baseline_run.run_id,
        candidate_records=candidate_run.read_records(),
        baseline_records=baseline_run.read_records(),
        perf=candidate_perf,
    )
    return DiffOutcome(
        baseline_run.run_id, candidate_run.run_id, thresholds_path, reports, result.exit_code
    )


def _candidate_units(run: Run) -> tuple[list[UnitResult], str | None]:
    """The candidate's unit results and, when it did not complete, why (None when it did)."""
    manifest = run.manifest
    status = manifest.status
    if status not in ("complete", "failed"):
        why = f" ({manifest.reason})" if manifest.reason else ""
        raise InfraError(
            f"run {run.run_id} has status '{status}'{why}: it never finished, so there is "
            "nothing to compare; rerun the check"
        )
    units = run.load_results()
    if status == "complete":
        return units, None
    if not units:
        raise InfraError(
            f"run {run.run_id} failed before any unit finished: there is nothing to compare; "
            "see its log, fix the failure and rerun the check"
        )
    return units, f"run {run.run_id} failed before this unit finished"


def _spec_thresholds(run: Run) -> Path | None:
    spec_path = run.manifest.spec_path
    if not spec_path or not Path(spec_path).is_file():
        return None
    loaded = load_spec(Path(spec_path))
    name = loaded.spec.gate.thresholds
    return loaded.base_dir / name if name else None
