"""Helpers of the input reliability tests: the real CLI in a subprocess, a small workspace.

A workspace holds `spec.yaml` (the built-in model, one jsonl task), its data file,
`thresholds.yaml` and `models.yaml` (a catalog), so each test breaks one thing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CATALOG = """\
version: 1
models:
  - id: smol
    source: builtin:smollm2-135m-instruct
"""

SPEC = """\
# a spec that the tests break one field at a time
version: 1
name: inputs
include: [models.yaml]
models: [smol]
tasks:
  - id: arith
    dataset: {format: jsonl, source: data.jsonl}
    prompt:
      template: "{prompt} Answer with the number only."
    generation: {max_tokens: 8, temperature: 0.0}
    scorer: {type: numeric}
gate: {thresholds: thresholds.yaml}
"""

THRESHOLDS = """\
version: 1
rules:
  - {metric: accuracy, min: 0.1}
"""

ROWS = [{"id": f"q{i}", "prompt": f"What is {i} + 1?", "target": str(i + 1)} for i in range(4)]


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def spec(self) -> Path:
        return self.root / "spec.yaml"

    def edit(self, name: str, old: str, new: str) -> Path:
        """Replace one occurrence of `old` in a workspace file (which must contain it)."""
        path = self.root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path


def workspace(root: Path) -> Workspace:
    (root / "spec.yaml").write_text(SPEC, encoding="utf-8")
    (root / "models.yaml").write_text(CATALOG, encoding="utf-8")
    (root / "thresholds.yaml").write_text(THRESHOLDS, encoding="utf-8")
    rows = "".join(json.dumps(row) + "\n" for row in ROWS)
    (root / "data.jsonl").write_text(rows, encoding="utf-8")
    return Workspace(root)


def evalspec(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m evalspec.cli ARGS` in `cwd`, runs kept under it (bounded wait)."""
    full_env = {**os.environ, "EVALSPEC_RUNS_DIR": str(cwd / "runs"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "evalspec.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def usage_error(proc: subprocess.CompletedProcess[str], pattern: str) -> str:
    """Assert exit 2 with one `error:` line on stderr matching `pattern`, no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith("error: "), lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]
