"""Content digests: of bytes, of canonical JSON, of a file (memoised) and of a tree."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from evalspec.files import atomic_write_text, cache_dir

_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def file_digest(path: Path) -> str:
    """sha256 of a file's content, memoised on disk by (path, size, mtime)."""
    stat = path.stat()
    key = sha256_bytes(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    memo = cache_dir() / "digests" / key
    try:
        remembered = memo.read_text().strip()
    except (OSError, UnicodeDecodeError):
        remembered = ""
    if _SHA256.fullmatch(remembered):  # anything else (damaged, empty) is computed again
        return remembered
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        atomic_write_text(memo, digest)
    return digest


def tree_digest(root: Path) -> str:
    """sha256 over the relative paths and contents of every file under root."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue
        h.update(f"{rel}\0{file_digest(path)}\n".encode())
    return h.hexdigest()
