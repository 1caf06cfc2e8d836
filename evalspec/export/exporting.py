"""`evalspec export`: one run or the history index, in one format, to a file, a gateway or MLflow.

Formats (one module each behind `base.Exporter`): csv, parquet, jsonl (one row per
(run, unit, metric), per sample with --samples), prometheus (text exposition or a push
to a Pushgateway), mlflow (one MLflow run per evalspec run). A run is exported with the
verdicts its check kept in the run directory; the history with those it recorded.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from evalspec.errors import SpecError
from evalspec.export.base import ExportDone, Exporter, ExportOptions
from evalspec.history import HistoryIndex, RunEntry, load_entries
from evalspec.history.building import entry_from_run, kept_verdicts
from evalspec.history.entries import IMPORT
from evalspec.store import RunStore, default_runs_dir

FORMATS: dict[str, str] = {
    "csv": "evalspec.export.csv_format:export_csv",
    "parquet": "evalspec.export.parquet_format:export_parquet",
    "jsonl": "evalspec.export.jsonl_format:export_jsonl",
    "prometheus": "evalspec.export.prometheus_format:export_prometheus",
    "mlflow": "evalspec.export.mlflow_format:export_mlflow",
}
SAMPLE_FORMATS = ("csv", "parquet", "jsonl")


@dataclass(frozen=True)
class ExportSource:
    run: str | None = None  # a run id or run directory
    history: Path | None = None  # the history index (when exporting it)
    runs_dir: Path | None = None
    spec: str | None = None  # history: only this spec's runs
    since: datetime | None = None  # history: only runs started at or after


def run_export(source: ExportSource, fmt: str, options: ExportOptions) -> ExportDone:
    """Check the combination of options, load the entries, hand them to the format."""
    _check_usage(source, fmt, options)
    return exporter(fmt)(load(source, samples=options.samples), options)


def exporter(fmt: str) -> Exporter:
    module, name = FORMATS[fmt].split(":")
    found: Exporter = getattr(importlib.import_module(module), name)
    return found


def load(source: ExportSource, *, samples: bool) -> list[RunEntry]:
    if source.history is not None:
        with HistoryIndex(source.history, create=False) as index:
            return load_entries(index, spec=source.spec, since=source.since, samples=samples)
    assert source.run is not None
    run = RunStore(source.runs_dir or default_runs_dir()).find(source.run)
    run_id = run.manifest.run_id
    gate, baseline_run = kept_verdicts(run, run_id)
    return [entry_from_run(run, gate, baseline_run, source=IMPORT)]


def _check_usage(source: ExportSource, fmt: str, options: ExportOptions) -> None:
    if (source.run is None) == (source.history is None):
        raise SpecError("export needs exactly one of RUN (a run id or directory) and --history")
    if source.history is None and (source.spec is not None or source.since is not None):
        raise SpecError("--spec and --since select runs of the history: add --history")
    if options.samples and fmt not in SAMPLE_FORMATS:
        raise SpecError(f"--samples applies to {', '.join(SAMPLE_FORMATS)}, not {fmt}")
    if options.pushgateway is not None and fmt != "prometheus":
        raise SpecError("--pushgateway applies to --format prometheus")
    if fmt == "mlflow" and options.output is not None:
        raise SpecError("--format mlflow logs to a tracking server: drop --output")
