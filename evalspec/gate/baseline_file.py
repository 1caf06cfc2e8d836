"""Reading and writing baseline files (baselines/*.json), with errors that name file and key."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from evalspec.errors import SpecError
from evalspec.gate.baseline import BASELINE_VERSION, Baseline
from evalspec.paths import atomic_write_text


def read_baseline(path: Path) -> Baseline | None:
    """The baseline in `path`, or None when the file does not exist yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}:{exc.lineno}: invalid baseline JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a baseline must be a JSON object")
    if data.get("version") != BASELINE_VERSION:
        raise SpecError(
            f"{path}: key 'version': expected {BASELINE_VERSION}, got {data.get('version')!r}; "
            "regenerate it with `evalspec baseline update`"
        )
    try:
        return Baseline.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise SpecError(f"{path}: key '{key}': {first['msg']}{more}") from exc


def baseline_text(baseline: Baseline) -> str:
    """Canonical file content: sorted keys, indent 2, trailing newline."""
    data = baseline.model_dump(mode="json")
    for unit in data["units"].values():  # only multi-metric units carry per-metric samples
        if not unit["metric_samples"]:
            del unit["metric_samples"]
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_baseline(path: Path, baseline: Baseline) -> None:
    atomic_write_text(path, baseline_text(baseline))
