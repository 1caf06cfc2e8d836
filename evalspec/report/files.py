"""Writing the report files a command asked for, and the step summary, without losing the verdict.

Reports are written after the gate has decided; a path that cannot be written
(a directory, a read-only folder, a full disk, a bad $GITHUB_STEP_SUMMARY) is
returned as a warning naming the path, so the verdict's exit code still stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from evalspec.files import atomic_write_text
from evalspec.report.bundle import Reports
from evalspec.report.step_summary import STEP_SUMMARY_ENV, append_step_summary


def write_reports(
    reports: Reports, paths: Mapping[str, Path | None], env: Mapping[str, str] | None = None
) -> list[str]:
    """Write each report to its path (keys: markdown, json, junit; None: not asked for),
    append the markdown to the step summary, and return one warning per failure."""
    texts = {"markdown": reports.markdown, "json": reports.json, "junit": reports.junit}
    warnings: list[str] = []
    for kind, path in paths.items():
        if path is None:
            continue
        try:
            atomic_write_text(path, texts[kind])
        except (OSError, ValueError) as exc:
            warnings.append(f"could not write the {kind} report to {path}: {_reason(exc)}")
    try:
        append_step_summary(reports.markdown, env)
    except (OSError, ValueError) as exc:
        warnings.append(
            f"could not append the report to ${STEP_SUMMARY_ENV} "
            f"({exc.filename if isinstance(exc, OSError) else 'its value'}): {_reason(exc)}"
        )
    return warnings


def _reason(exc: OSError | ValueError) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
