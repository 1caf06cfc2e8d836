"""MLflow: one MLflow run per evalspec run, at $MLFLOW_TRACKING_URI (or --tracking-uri).

Experiment ``evalspec/<spec>`` (or --experiment). The MLflow run is named after the
evalspec run and tagged ``evalspec.run_id``; exporting a run that is already there
changes nothing, so an export of the whole history can be repeated. Params: spec, spec
digest, git sha/branch/dirty, and per unit its hash (``unit_hash/<unit>``) and engine
fingerprint (``engine_fingerprint/<unit>``). Metrics: ``<unit>/<metric>`` with ``.stderr``
and ``.n``, and ``<unit>/perf/<measure>``, at the run's start time. Artifacts, when the
run directory is still there: the markdown report, results.json, records.jsonl and
manifest.json. MLflow keys allow letters, digits and ``_-. /:``: ``@`` is written
``_at_`` and ``+`` ``_plus_`` (``pass@1`` -> ``pass_at_1``), anything else ``_``.
Needs the ``mlflow`` extra (``mlflow-skinny`` is enough for a remote server).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalspec.errors import InfraError, SpecError
from evalspec.export.base import ExportDone, ExportOptions
from evalspec.history import RunEntry
from evalspec.history.entries import PERF_COLUMNS, fingerprint_text

TRACKING_ENV = "MLFLOW_TRACKING_URI"
RUN_TAG = "evalspec.run_id"
ARTIFACTS = ("report.md", "results.json", "records.jsonl", "manifest.json")
MAX_PARAM = 6000  # MLflow's longest param value
_KEY_BAD = re.compile(r"[^\w\-. /:]")


def export_mlflow(entries: Sequence[RunEntry], options: ExportOptions) -> ExportDone:
    uri = options.tracking_uri or os.environ.get(TRACKING_ENV)
    if not uri:
        raise SpecError(f"--format mlflow: set ${TRACKING_ENV} or pass --tracking-uri URI")
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise InfraError("--format mlflow needs MLflow: pip install 'evalspec[mlflow]'") from exc
    client = MlflowClient(tracking_uri=uri)
    created, present, missing = 0, 0, []
    try:
        # MLflow prints "View run ..." links to stdout: they go with our messages, to stderr
        with contextlib.redirect_stdout(sys.stderr):
            for entry in entries:
                experiment = _experiment(client, options.experiment or f"evalspec/{entry.spec}")
                if _existing(client, experiment, entry.run_id):
                    present += 1
                    continue
                missing.extend(_log_run(client, experiment, entry))
                created += 1
    except Exception as exc:  # MLflow raises its own, requests' and urllib3's errors
        if isinstance(exc, InfraError):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InfraError(f"MLflow at {uri}: {first[:300]}") from exc
    note = f"; artifacts missing: {', '.join(missing[:3])}" if missing else ""
    return ExportDone(f"MLflow at {uri}: {created} run(s) logged, {present} already there{note}")


def mlflow_key(text: str) -> str:
    return _KEY_BAD.sub("_", text.replace("@", "_at_").replace("+", "_plus_"))


def _experiment(client: Any, name: str) -> str:
    found = client.get_experiment_by_name(name)
    return str(found.experiment_id) if found is not None else str(client.create_experiment(name))


def _existing(client: Any, experiment: str, run_id: str) -> bool:
    runs = client.search_runs([experiment], filter_string=f"tags.`{RUN_TAG}` = '{run_id}'")
    return len(runs) > 0


def _log_run(client: Any, experiment: str, entry: RunEntry) -> list[str]:
    """Create, fill and close the MLflow run; the artifacts that were not there."""
    from mlflow.entities import Metric, Param

    start_ms = int(entry.started.timestamp() * 1000)
    tags = {RUN_TAG: entry.run_id, "evalspec.verdict": entry.gate_status or "not recorded"}
    if entry.git_sha:
        tags["mlflow.source.git.commit"] = entry.git_sha
    run = client.create_run(experiment, start_time=start_ms, tags=tags, run_name=entry.run_id)
    run_id = run.info.run_id
    params = [Param(key, value[:MAX_PARAM]) for key, value in _params(entry).items()]
    metrics = [Metric(key, value, start_ms, 0) for key, value in _metrics(entry).items()]
    for start in range(0, len(params), 100):
        client.log_batch(run_id, params=params[start : start + 100])
    for start in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[start : start + 1000])
    missing = []
    run_dir = Path(entry.run_dir) if entry.run_dir else None
    for name in ARTIFACTS:
        path = run_dir / name if run_dir is not None else None
        if path is not None and path.is_file():
            client.log_artifact(run_id, str(path))
        else:
            missing.append(f"{entry.run_id}/{name}")
    end_ms = int(_finished(entry) * 1000)
    status = "FINISHED" if entry.status == "complete" else "FAILED"
    client.set_terminated(run_id, status=status, end_time=end_ms)
    return missing


def _params(entry: RunEntry) -> dict[str, str]:
    params = {
        "spec": entry.spec,
        "spec_digest": entry.spec_digest or "",
        "git_sha": entry.git_sha or "",
        "git_branch": entry.git_branch or "",
        "git_dirty": "" if entry.git_dirty is None else str(entry.git_dirty).lower(),
        "evalspec_version": entry.evalspec_version or "",
    }
    for unit in entry.units:
        params[mlflow_key(f"unit_hash/{unit.unit_id}")] = unit.unit_hash
        params[mlflow_key(f"engine_fingerprint/{unit.unit_id}")] = fingerprint_text(
            unit.fingerprint
        )
    return params


def _metrics(entry: RunEntry) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for m in entry.metrics:
        key = mlflow_key(f"{m.unit_id}/{m.metric}")
        for suffix, value in (("", m.value), (".stderr", m.stderr), (".n", m.n)):
            if value is not None:
                metrics[key + suffix] = float(value)
    for unit in entry.units:
        for name in PERF_COLUMNS:
            if (measured := unit.measure(name)) is not None:
                metrics[mlflow_key(f"{unit.unit_id}/perf/{name}")] = measured
    return metrics


def _finished(entry: RunEntry) -> float:
    from datetime import datetime

    when = entry.finished_at or entry.started_at
    return datetime.fromisoformat(when).timestamp()
