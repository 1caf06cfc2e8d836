"""Limits on what a data file may hold, so hostile or broken data fails fast and small.

- EVALSPEC_MAX_DATA_MB (default 512): the most bytes of one data file, counted after
  decompression (a gzip bomb stops there) and, for Parquet, its uncompressed size.
- EVALSPEC_MAX_LINE_MB (default 16): the longest line of a JSON Lines file (and the
  longest field of a CSV file).
- Nesting: a JSON value more than MAX_DEPTH levels deep (no published format comes near).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

from evalspec.errors import SpecError

DATA_ENV = "EVALSPEC_MAX_DATA_MB"
LINE_ENV = "EVALSPEC_MAX_LINE_MB"
DEFAULT_DATA_MB = 512.0
DEFAULT_LINE_MB = 16.0
MAX_DEPTH = 100
_MB = 1_000_000
_JSON_TOKEN = re.compile(rb'["\\\[\]{}]')


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    line_bytes: int

    def file_error(self, file: str, size: int | None = None, what: str = "") -> SpecError:
        """A file over the size limit (size None: it went past it while decompressing)."""
        amount = f"more than {self.file_bytes / _MB:g} MB" if size is None else _mb(size)
        return SpecError(
            f"{file}: {what or 'holds'} {amount} of data, above the limit of "
            f"{self.file_bytes / _MB:g} MB per data file; split the file, or raise "
            f"{DATA_ENV} if the data is trusted"
        )

    def line_error(self, where: str, size: int | None = None) -> SpecError:
        """A line over the limit (size None: a CSV field went past it)."""
        what = "a field is" if size is None else f"the line is {_mb(size)},"
        return SpecError(
            f"{where}: {what} above the limit of {self.line_bytes / _MB:g} MB per line; fix "
            f"the row, or raise {LINE_ENV} if the data is trusted"
        )


def limits() -> Limits:
    """The limits in force (environment, else defaults); SpecError for a bad setting."""
    return Limits(
        file_bytes=int(_megabytes(DATA_ENV, DEFAULT_DATA_MB) * _MB),
        line_bytes=int(_megabytes(LINE_ENV, DEFAULT_LINE_MB) * _MB),
    )


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed JSON value nests lists/objects more than `limit` levels deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


def may_be_too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """False when `raw` JSON cannot nest more than `limit` deep (fewer opening brackets)."""
    return raw.count(b"[") + raw.count(b"{") > limit


def deep_line(data: bytes, limit: int = MAX_DEPTH) -> int:
    """The 1-based line where JSON text first nests deeper than `limit` (else 1)."""
    depth = 0
    in_string = False
    escaped_at = -1  # the position a backslash in a string escapes
    for match in _JSON_TOKEN.finditer(data):
        token, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:
                continue
            if token == b"\\":
                escaped_at = at + 1
            elif token == b'"':
                in_string = False
        elif token == b'"':
            in_string = True
        elif token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return data.count(b"\n", 0, at) + 1
        elif token in (b"]", b"}"):
            depth -= 1
    return 1


def depth_message(limit: int = MAX_DEPTH) -> str:
    return f"JSON nested more than {limit} levels deep; flatten the row"


def _megabytes(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise SpecError(
            f"{name}={raw!r}: expected a number of megabytes above 0 (default {default:g}); "
            "fix or unset it"
        )
    return value


def _mb(size: int) -> str:
    return f"{size / _MB:.1f} MB"
