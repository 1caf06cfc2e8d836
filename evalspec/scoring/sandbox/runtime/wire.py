"""The pipes between candidate and checker: frames, plain-data decoding, forwarded exceptions."""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import pickle

MAX_FRAME = 64 << 20
SAFE_CLASSES = frozenset({"complex", "set", "frozenset", "bytearray"})
# builtin exceptions that steer control flow where they surface (a StopIteration raised
# inside map() ends the iteration; the others end or unwind the checker): forwarded as a
# RuntimeError subclass of the same name, like PEP 479 does for generators
CONTROL_FLOW = frozenset(
    {"StopIteration", "StopAsyncIteration", "GeneratorExit", "KeyboardInterrupt", "SystemExit"}
)


def read_exact(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> bytes | None:
    """One 4-byte big-endian length-prefixed frame; None at EOF or past MAX_FRAME."""
    head = read_exact(fd, 4)
    if head is None:
        return None
    size = int.from_bytes(head, "big")
    if size > MAX_FRAME:
        return None
    return read_exact(fd, size)


def write_frame(fd: int, payload: bytes) -> None:
    data = len(payload).to_bytes(4, "big") + payload
    while data:
        data = data[os.write(fd, data) :]


def read_sealed(fd: int) -> bytes:
    """The whole content of a memfd the host filled (read from offset 0, then closed)."""
    chunks, offset = [], 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    os.close(fd)
    return b"".join(chunks)


class PlainData(pickle.Unpickler):
    """Builds builtin data only: any class reference (an int subclass, an object with its
    own __eq__, a function) is refused."""

    def find_class(self, module: str, name: str) -> object:
        if module == "builtins" and name in SAFE_CLASSES:
            return getattr(builtins, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


def plain_loads(payload: bytes) -> object:
    return PlainData(io.BytesIO(payload)).load()


def forwarded(name: object, message: object) -> Exception:
    """The checker-side stand-in for an exception the candidate raised, built from data.

    A builtin `Exception` class is kept (tests catch `ValueError`, `TypeError`, ...);
    control-flow exceptions and unknown names become plain exceptions of that name that
    no `except StopIteration`/`BaseException`-only handler or iteration protocol treats
    specially."""
    text = message if isinstance(message, str) else ""
    label = name if isinstance(name, str) and name.isidentifier() else "Exception"
    cls = getattr(builtins, label, None)
    made: Exception
    if label in CONTROL_FLOW:
        made = type(label, (RuntimeError,), {})(text)
        return made
    if isinstance(cls, type) and issubclass(cls, Exception):
        with contextlib.suppress(Exception):  # e.g. UnicodeDecodeError takes five arguments
            made = cls(text)
            return made
    made = type(label, (Exception,), {})(text)
    return made
