"""One run directory: its manifest, append-only records and final results.

Layout of ``RUNS/<run_id>/``:

- ``manifest.json``: what ran (caller's data) plus run_id, spec, started_at,
  status ("running" | "complete" | "failed") and finished_at; atomic writes.
- ``records.jsonl``: one JSON object per line, appended and fsynced per batch.
  A killed run keeps every complete line; a torn last line is ignored on read
  and cut off before the next append.
- ``results.json``: ``{"version": 1, "units": [UnitResult as dict, ...],
  "perf": {unit_id: {...}}}``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from evalspec.errors import SpecError
from evalspec.paths import atomic_write_text
from evalspec.scoring.results import Metric, UnitResult

MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
RESULTS = "results.json"
RESULTS_VERSION = 1

RunStatus = Literal["running", "complete", "failed"]
FINAL_STATUSES: tuple[str, ...] = ("complete", "failed")


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    except FileNotFoundError as exc:
        raise SpecError(f"{path}: missing; the run directory is incomplete") from exc


class Run:
    """A run directory. Cheap to construct; every accessor reads the disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.run_id = path.name

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    @property
    def manifest(self) -> dict[str, Any]:
        data = read_json(self.path / MANIFEST)
        if not isinstance(data, dict):
            raise SpecError(f"{self.path / MANIFEST}: a run manifest must be a JSON object")
        return data

    @property
    def status(self) -> str:
        return str(self.manifest.get("status", "running"))

    def append_records(self, records: Sequence[dict[str, Any]]) -> None:
        """Append one line per record, then flush and fsync once."""
        if not records:
            return
        lines = "".join(
            json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n" for record in records
        )
        path = self.path / RECORDS
        _cut_torn_tail(path)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())

    def read_records(self) -> list[dict[str, Any]]:
        """Every complete record, in append order; a torn last line is ignored."""
        path = self.path / RECORDS
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        lines = text.split("\n")
        lines.pop()  # "" after the final newline, or a torn line without one
        records: list[dict[str, Any]] = []
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SpecError(f"{path}:{lineno}: corrupt record: {exc.msg}") from exc
            if not isinstance(record, dict):
                raise SpecError(f"{path}:{lineno}: a record must be a JSON object")
            records.append(record)
        return records

    def annotate(self, key: str, value: Any) -> None:
        """Set one manifest key while the run goes on (atomic rewrite)."""
        manifest = self.manifest
        manifest[key] = value
        write_json(self.path / MANIFEST, manifest)

    def finish(
        self,
        units: Sequence[UnitResult],
        status: str,
        perf: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Write results.json (units, and perf: unit id -> measurements), then mark the manifest."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"finish() status must be one of {FINAL_STATUSES}, got {status!r}")
        results = {
            "version": RESULTS_VERSION,
            "units": [dataclasses.asdict(u) for u in units],
            "perf": perf or {},
        }
        write_json(self.path / RESULTS, results)
        manifest = self.manifest
        manifest.update(status=status, finished_at=utc_now_iso())
        write_json(self.path / MANIFEST, manifest)

    def load_results(self) -> list[UnitResult]:
        data, path = self._results()
        try:
            return [_unit_from_dict(u) for u in data["units"]]
        except (KeyError, TypeError, AttributeError) as exc:
            raise SpecError(f"{path}: malformed unit results ({exc!r})") from exc

    def load_perf(self) -> dict[str, dict[str, Any]]:
        """Performance measurements per unit id, as given to finish()."""
        perf = self._results()[0].get("perf", {})
        return dict(perf) if isinstance(perf, dict) else {}

    def _results(self) -> tuple[dict[str, Any], Path]:
        path = self.path / RESULTS
        if not path.exists():
            raise SpecError(
                f"{path}: missing; run {self.run_id} has status '{self.status}' and never finished"
            )
        data = read_json(path)
        if not isinstance(data, dict) or data.get("version") != RESULTS_VERSION:
            raise SpecError(f"{path}: key 'version': expected {RESULTS_VERSION}")
        return data, path


def _unit_from_dict(data: dict[str, Any]) -> UnitResult:
    fields = dict(data)
    fields["metrics"] = {name: Metric(**m) for name, m in fields.get("metrics", {}).items()}
    return UnitResult(**fields)


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
