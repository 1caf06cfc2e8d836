"""The exporters' one interface: entries in, a file / a push / an upload out, one line said.

An exporter is a function ``(entries, options) -> ExportDone``. ``ExportDone.text`` is
what goes to standard output when no ``--output`` file was given (text formats only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from evalspec.history import RunEntry


@dataclass(frozen=True)
class ExportOptions:
    output: Path | None = None  # None: standard output (text formats)
    samples: bool = False  # one row per (run, unit, metric, sample) instead of per metric
    pushgateway: str | None = None  # prometheus: push there instead of writing text
    tracking_uri: str | None = None  # mlflow: else $MLFLOW_TRACKING_URI
    experiment: str | None = None  # mlflow: else "evalspec/<spec>"


@dataclass(frozen=True)
class ExportDone:
    message: str  # what was done, for the user (stderr)
    text: str | None = None  # the export itself, for standard output


class Exporter(Protocol):
    def __call__(self, entries: Sequence[RunEntry], options: ExportOptions) -> ExportDone: ...
