"""Engine output: what vLLM, torch and transformers print goes to a log file, not the terminal.

Engines print through Python logging, `warnings` and their C/C++ code (Triton, NUMA
binding, CUDA), each straight to file descriptor 1 or 2, so the capture works on the
descriptors: while `engine_output_to(path)` is active, fd 1 and fd 2 both append to
the log file, and both are restored afterwards, also on errors and signals. Our own
output during a run goes to `terminal()`, a stream on a duplicate of fd 2 taken before
the capture, which the capture does not touch. An engine failure still surfaces: it is
an exception carrying the engine's message, and the log keeps everything else.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

ENGINE_LOG = "engine.log"
_CAPTURED = (1, 2)


@contextlib.contextmanager
def engine_output_to(path: Path) -> Iterator[Path]:
    """Send fd 1 and fd 2 to `path` (appended) until the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _flush()
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    saved = [os.dup(fd) for fd in _CAPTURED]
    try:
        for fd in _CAPTURED:
            os.dup2(log, fd)
        yield path
    finally:
        _flush()  # what Python buffered during the capture belongs to the log
        for fd, original in zip(_CAPTURED, saved, strict=True):
            os.dup2(original, fd)
            os.close(original)
        os.close(log)


def terminal() -> TextIO:
    """A line-buffered text stream on where fd 2 points now; a later capture leaves it there.
    (Without a usable fd 2, sys.stderr itself.)"""
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    try:
        return os.fdopen(os.dup(2), "w", buffering=1, encoding=encoding, errors="replace")
    except OSError:
        return sys.stderr


def log_tail(path: Path, lines: int = 20) -> list[str]:
    """The last lines of a log (none when it is missing or empty)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or replaced stream: nothing to flush
            stream.flush()
