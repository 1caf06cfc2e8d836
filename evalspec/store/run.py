"""One run directory: its manifest, append-only records and final results.

Layout of ``RUNS/<run_id>/`` (the models are in `evalspec.store.runfiles`):

- ``manifest.json`` (`Manifest`): what ran, plus run_id, spec, started_at, status
  ("running" | "complete" | "failed" | "interrupted"), finished_at and, for a run that
  did not complete, the reason; atomic writes.
- ``records.jsonl`` (one `Record` per line): appended and fsynced per batch. A killed
  run keeps every complete line; a torn last line is ignored on read and cut off
  before the next append.
- ``results.json`` (`RunResults`): every unit's result and perf.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from evalspec.errors import SpecError
from evalspec.files import atomic_write_text
from evalspec.monitor.perf import UnitPerf
from evalspec.scoring.results import UnitResult
from evalspec.store.runfiles import (
    FINAL_STATUSES,
    Manifest,
    Record,
    RunResults,
    upgrade_manifest,
    upgrade_results,
)

MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
RESULTS = "results.json"

M = TypeVar("M", bound=BaseModel)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def write_model(path: Path, model: BaseModel) -> None:
    """Atomically write a run file (sorted keys, indented, finite numbers only)."""
    data = model.model_dump(mode="json")
    atomic_write_text(path, json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n")


def read_model(path: Path, model: type[M], upgrade: Callable[[Any], Any] = lambda d: d) -> M:
    """A run file parsed into its model; every problem is one SpecError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SpecError(f"{path}: missing; the run directory is incomplete") from exc
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text (byte {exc.start}); the file is damaged") from exc
    except OSError as exc:
        raise SpecError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise SpecError(f"{path}: nested too deeply to be a run file") from exc
    try:
        return model.model_validate(upgrade(data))
    except ValidationError as exc:
        raise SpecError(
            f"{path}: {_first_problem(exc)}; the file is damaged or was edited by hand: "
            "rerun the check that made it"
        ) from exc


class Run:
    """A run directory. Cheap to construct; every accessor reads the disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.run_id = path.name

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    @property
    def manifest(self) -> Manifest:
        return read_model(self.path / MANIFEST, Manifest, upgrade_manifest)

    @property
    def status(self) -> str:
        return self.manifest.status

    def append_records(self, records: Sequence[Record]) -> None:
        """Append one line per record, then flush and fsync once."""
        if not records:
            return
        lines = "".join(
            json.dumps(r.to_json_dict(), sort_keys=True, ensure_ascii=False) + "\n" for r in records
        )
        path = self.path / RECORDS
        _cut_torn_tail(path)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())

    def read_records(self) -> list[Record]:
        """Every complete record, in append order; a torn last line is ignored."""
        path = self.path / RECORDS
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except UnicodeDecodeError as exc:
            raise SpecError(
                f"{path}: not UTF-8 text (byte {exc.start}); the file is damaged"
            ) from exc
        lines = text.split("\n")
        lines.pop()  # "" after the final newline, or a torn line without one
        records: list[Record] = []
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append(Record.model_validate_json(line))
            except ValidationError as exc:
                raise SpecError(f"{path}:{lineno}: corrupt record: {_first_problem(exc)}") from exc
        return records

    def annotate(self, **fields: Any) -> None:
        """Set manifest fields while the run goes on (atomic rewrite, validated)."""
        manifest = self.manifest
        write_model(self.path / MANIFEST, manifest.model_validate(manifest.model_dump() | fields))

    def finish(
        self,
        units: Sequence[UnitResult],
        status: str,
        perf: Mapping[str, UnitPerf] | None = None,
        reason: str | None = None,
    ) -> None:
        """Write results.json (units, and perf: unit id -> measurements), then mark the
        manifest with the final status (and why, for a run that did not complete)."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"finish() status must be one of {FINAL_STATUSES}, got {status!r}")
        write_model(self.path / RESULTS, RunResults(units=list(units), perf=dict(perf or {})))
        self.annotate(status=status, finished_at=utc_now_iso(), reason=reason)

    def load_results(self) -> list[UnitResult]:
        return self._results().units

    def load_perf(self) -> dict[str, UnitPerf]:
        """Performance measurements per unit id, as given to finish()."""
        return dict(self._results().perf)

    def _results(self) -> RunResults:
        path = self.path / RESULTS
        if not path.exists():
            raise SpecError(
                f"{path}: missing; run {self.run_id} has status '{self.status}' and never finished"
            )
        return read_model(path, RunResults, upgrade_results)


def perf_dicts(perf: Mapping[str, UnitPerf]) -> dict[str, dict[str, Any]]:
    """unit id -> the measures taken, as the gate's perf rules and the reports read them."""
    return {unit_id: p.as_dict() for unit_id, p in perf.items()}


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}"


def _cut_torn_tail(path: Path) -> None:
    """Drop a partial last line left by a killed writer, so appends start on a fresh line."""
    try:
        with open(path, "rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return
            handle.seek(0)
            data = handle.read()
            handle.truncate(data.rfind(b"\n") + 1)
            handle.flush()
            os.fsync(handle.fileno())
    except FileNotFoundError:
        return
