"""Where an export goes: standard output, or a file written atomically."""

from __future__ import annotations

from pathlib import Path

from evalspec.errors import InfraError
from evalspec.export.base import ExportDone, ExportOptions
from evalspec.files import atomic_write_bytes


def deliver_text(text: str, options: ExportOptions, what: str) -> ExportDone:
    """`text` to the --output file, or back to the CLI for standard output."""
    if options.output is None:
        return ExportDone(f"{what} to standard output", text)
    write_output(options.output, text.encode("utf-8"))
    return ExportDone(f"wrote {what} to {options.output}")


def write_output(path: Path, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise InfraError(f"{path}: cannot be written ({exc.strerror or exc})") from exc
