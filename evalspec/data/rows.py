"""Located rows: one record of a data file plus where it came from, for FILE:LINE errors.

The readers (evalspec.data.readers) turn files into RowFiles; format parsers turn Rows
into Samples and report bad data with `row.error(...)`, which names the row's location.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalspec.errors import SpecError


@dataclass(frozen=True)
class Row:
    """One record of a data file and where it came from.

    where:  the location shown in errors: `FILE:LINE` for text files (JSON Lines, CSV),
            `FILE:row N` for Parquet/Arrow (N counts from 0, as `table.slice(N, 1)`),
            `FILE:item N` for a JSON document (N counts from 0, as `data[N]`).
    line:   the number in `where` (the line, row or item).
    fields: the record as a dict (nested values as plain Python lists and dicts).
    unit:   what `line` counts: "line", "row" or "item".
    file:   the file part of `where` ("" when built by hand).
    """

    where: str
    line: int
    fields: dict[str, Any]
    unit: str = "line"
    file: str = ""

    @property
    def position(self) -> str:
        """The location within its file, e.g. `line 3` or `row 0`."""
        return f"{self.unit} {self.line}"

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
