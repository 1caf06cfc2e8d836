"""Exports of runs and of the history: CSV, Parquet, JSON lines, Prometheus, MLflow.

Public API: run_export with ExportSource and ExportOptions, FORMATS; each format is a
module of its own (csv_format, parquet_format, jsonl_format, prometheus_format,
mlflow_format) behind `base.Exporter`, sharing the flat rows of `rows`.
"""

from __future__ import annotations

from evalspec.export.base import ExportDone, Exporter, ExportOptions
from evalspec.export.exporting import FORMATS, ExportSource, run_export

__all__ = ["FORMATS", "ExportDone", "ExportOptions", "ExportSource", "Exporter", "run_export"]
