"""Shared file helpers: cache directory, content digests, atomic writes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

_SHA256 = re.compile(r"[0-9a-f]{64}")


def cache_dir() -> Path:
    """evalspec's cache root: $EVALSPEC_CACHE_DIR, else $XDG_CACHE_HOME/evalspec."""
    override = os.environ.get("EVALSPEC_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evalspec"


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


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file (UTF-8) so that readers see the old or the new content, never a mix."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a mix.

    The file keeps its mode; a new file gets the mode a plain open() would give
    it (0666 less the umask), not the temporary file's 0600.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask (read by setting and restoring it: there is no getter)."""
    current = os.umask(0o022)
    os.umask(current)
    return current
