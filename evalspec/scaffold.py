"""`evalspec init`: a new project's specs/, thresholds/, baselines/ and gate workflow.

The files come from evalspec/init_template/: a first spec on the built-in model (40
arithmetic questions, passes `evalspec check` at once), its thresholds, a note in
baselines/, and a GitHub workflow that runs the evalspec action on pull requests. Nothing
is ever written over: when any of the files exists, nothing is written at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from evalspec.errors import SpecError
from evalspec.files import atomic_write_text

# where each template lands, relative to the project directory
FILES: dict[str, str] = {
    "specs/first.yaml": "spec.yaml",
    "specs/data/first.jsonl": "data.jsonl",
    "thresholds/first.yaml": "thresholds.yaml",
    "baselines/README.md": "baselines.md",
    ".github/workflows/evalspec.yml": "workflow.yml",
}
FIRST_SPEC = "specs/first.yaml"


@dataclass(frozen=True)
class Scaffold:
    root: Path
    created: list[Path]

    def next_steps(self) -> list[str]:
        spec = _shown(self.root / FIRST_SPEC)
        return [
            f"evalspec check {spec}             # the built-in model on this CPU, about a minute",
            f"evalspec baseline update {spec}   # record what it scored as the reference",
            "commit specs/ thresholds/ baselines/ .github/: pull requests are then gated",
        ]


def template(name: str) -> str:
    return resources.files("evalspec").joinpath("init_template", name).read_text("utf-8")


def scaffold(root: Path) -> Scaffold:
    """Write the template files under `root` (created if needed); SpecError if any exists."""
    if root.exists() and not root.is_dir():
        raise SpecError(f"{root} is not a directory; give `evalspec init` a directory")
    targets = {root / relative: name for relative, name in FILES.items()}
    existing = [path for path in targets if path.exists() or path.is_symlink()]
    if existing:
        raise SpecError(
            f"{_shown(existing[0])} already exists; `evalspec init` never writes over a "
            "file: pick another directory or move it away"
        )
    for path, name in targets.items():
        atomic_write_text(path, template(name))
    return Scaffold(root, list(targets))


def _shown(path: Path) -> str:
    """Relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
