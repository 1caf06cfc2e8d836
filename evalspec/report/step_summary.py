"""The GitHub Actions step summary: append a report to the file named by $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def append_step_summary(markdown: str, env: Mapping[str, str] | None = None) -> Path | None:
    """Append ``markdown`` (and a blank line) to the step summary file; None when not on Actions."""
    target = (os.environ if env is None else env).get(STEP_SUMMARY_ENV)
    if not target:
        return None
    path = Path(target)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
        handle.write("\n")
    return path
