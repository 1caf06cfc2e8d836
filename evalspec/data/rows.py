"""Reading JSON Lines files (plain or gzip) into located rows, with FILE:LINE errors."""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalspec.errors import SpecError
from evalspec.paths import sha256_bytes


@dataclass(frozen=True)
class Row:
    """One JSON object of a JSON Lines file and where it came from (`FILE:LINE`)."""

    where: str
    line: int
    fields: dict[str, Any]

    def error(self, message: str) -> SpecError:
        return SpecError(f"{self.where}: {message}")

    def text(self, *keys: str) -> tuple[str, str]:
        """(key, value as text) of the first of `keys` present; numbers become text.

        Raises SpecError naming the location and the field when none is present.
        """
        for key in keys:
            if key in self.fields:
                return key, self._as_text(key)
        raise self.error(f"missing required field '{keys[0]}'" + _alternatives(keys))

    def optional_text(self, key: str) -> str | None:
        return self._as_text(key) if key in self.fields else None

    def _as_text(self, key: str) -> str:
        value = self.fields[key]
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise self.error(f"field '{key}' must be a string or a number, got {type(value).__name__}")


def _alternatives(keys: tuple[str, ...]) -> str:
    if len(keys) < 2:
        return ""
    return " (or " + ", ".join(f"'{k}'" for k in keys[1:]) + ")"


@dataclass(frozen=True)
class RowFile:
    """All rows of a file plus the sha256 of its bytes as stored (compressed or not)."""

    path: Path
    digest: str
    rows: list[Row]


def read_rows(path: Path) -> RowFile:
    """Parse a .jsonl or .jsonl.gz file; blank lines are skipped."""
    data = path.read_bytes()
    digest = sha256_bytes(data)
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise SpecError(f"{path}: not a readable gzip file ({exc})") from exc
    rows: list[Row] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        where = f"{path}:{number}"
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise SpecError(f"{where}: not UTF-8 text ({exc.reason})") from exc
        if not line:
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SpecError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
        if not isinstance(value, dict):
            raise SpecError(f"{where}: expected a JSON object, got {type(value).__name__}")
        rows.append(Row(where=where, line=number, fields=value))
    return RowFile(path=path, digest=digest, rows=rows)
