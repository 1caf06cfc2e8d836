"""The local Hugging Face caches: hub repositories (models, datasets) and `datasets` files.

The hub cache (`hf download`, `snapshot_download`, and what transformers and vLLM fill)
is read through huggingface_hub's cache APIs, never by its folder layout:
`resolve_revision` turns a branch, tag or None (the default branch) into a commit sha
(from the Hub when online, else from the cache's `refs/`), `snapshot_download(...,
local_files_only=True)` gives a commit's complete snapshot directory, and
`scan_cache_dir` lists the snapshots present. The `datasets` library cache
(`load_dataset`) has no such API: its prepared Arrow files are found by their layout,
`OWNER___NAME/<config>/<version>/<hash>/<name>-<split>[-NNNNN-of-NNNNN].arrow`.

Cache locations and offline mode are read from the environment at each call: the
constants in huggingface_hub are fixed when it is first imported.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import CacheNotFound, constants, resolve_revision, scan_cache_dir
from huggingface_hub import snapshot_download as _snapshot_download
from huggingface_hub.errors import (
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RevisionResolutionError,
)
from huggingface_hub.file_download import repo_folder_name


def _hf_home() -> Path:
    if home := os.environ.get("HF_HOME"):
        return Path(home).expanduser()
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg).expanduser() / "huggingface"
    return Path.home() / ".cache" / "huggingface"


def hub_cache_dir() -> Path:
    """$HF_HUB_CACHE (or the older $HUGGINGFACE_HUB_CACHE), else $HF_HOME/hub."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if value := os.environ.get(var):
            return Path(value).expanduser()
    return _hf_home() / "hub"


def datasets_cache_dir() -> Path:
    """$HF_DATASETS_CACHE, else $HF_HOME/datasets."""
    if value := os.environ.get("HF_DATASETS_CACHE"):
        return Path(value).expanduser()
    return _hf_home() / "datasets"


def hub_offline() -> bool:
    """HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) set: never ask the Hub."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return constants.HF_HUB_OFFLINE or value.upper() in {"1", "ON", "YES", "TRUE"}


class RevisionError(Exception):
    """A revision that cannot be turned into a commit; `hub_answered`: the Hub said so
    (no such repository or revision), else it could not be asked and the cache lacks it."""

    def __init__(self, message: str, hub_answered: bool) -> None:
        super().__init__(message)
        self.hub_answered = hub_answered


def resolve_commit(repo_id: str, revision: str | None, repo_type: str = "model") -> str:
    """The commit sha a revision (branch, tag, commit; None: the default branch) names:
    a commit as it is, else the Hub's answer when online, else the cache's `refs/`."""
    try:
        resolved = resolve_revision(
            repo_id,
            repo_type=repo_type,
            revision=revision,
            cache_dir=hub_cache_dir(),
            local_files_only=hub_offline(),
        )
    except RevisionResolutionError as exc:
        raise RevisionError(str(exc), hub_answered=False) from exc
    except HfHubHTTPError as exc:  # no such repository / revision, no access
        status = exc.response.status_code if exc.response is not None else "?"
        raise RevisionError(f"{type(exc).__name__}, HTTP {status}", hub_answered=True) from exc
    return resolved.resolved


def cached_snapshot(repo_id: str, revision: str | None, repo_type: str = "model") -> Path | None:
    """The complete snapshot directory of a revision in the hub cache, or None."""
    try:
        found = _snapshot_download(
            repo_id,
            repo_type=repo_type,
            revision=revision,
            cache_dir=hub_cache_dir(),
            local_files_only=True,
        )
    except (LocalEntryNotFoundError, ValueError, OSError):
        return None
    return Path(str(found))


def hub_snapshot(repo_id: str) -> tuple[Path, Path | None]:
    """(the dataset's directory in the hub cache, its snapshot to read or None when absent).

    The snapshot is the one `main` names, else the most recently modified one present
    (a dataset downloaded by commit has no `refs/main`).
    """
    repo_dir = hub_cache_dir() / repo_folder_name(repo_id=repo_id, repo_type="dataset")
    named = cached_snapshot(repo_id, "main", repo_type="dataset")
    if named is not None:
        return repo_dir, named
    try:
        cache = scan_cache_dir(hub_cache_dir())
    except (CacheNotFound, ValueError):
        return repo_dir, None
    revisions = [
        revision
        for repo in cache.repos
        if repo.repo_type == "dataset" and repo.repo_id == repo_id
        for revision in repo.revisions
    ]
    if not revisions:
        return repo_dir, None
    return repo_dir, max(revisions, key=lambda r: r.last_modified).snapshot_path


@dataclass(frozen=True)
class CacheLookup:
    """What the `datasets` cache holds for a split: the files, or why there are none."""

    looked_at: Path
    files: tuple[Path, ...] = ()
    problem: str = ""
    exists: bool = False  # the dataset has a directory in the cache


def datasets_cache_files(repo_id: str, split: str, config: str | None) -> CacheLookup:
    """The prepared Arrow (or Parquet) files of a split in the `datasets` cache."""
    root = datasets_cache_dir()
    owner, _, name = repo_id.rpartition("/")
    expected = root / (f"{owner}___{name}" if owner else name)
    builders = [d for d in _subdirs(root) if _same_name(d.name, expected.name)]
    if not builders:
        return CacheLookup(expected, problem="not found")
    builder = builders[0]
    configs = _subdirs(builder)
    wanted = config or "default"
    chosen = [d for d in configs if d.name == wanted or d.name.startswith(wanted + "-")]
    if not chosen and config is None and len({_config_name(d) for d in configs}) == 1:
        chosen = configs
    if not chosen:
        names = ", ".join(sorted({_config_name(d) for d in configs})) or "none"
        return CacheLookup(
            builder,
            problem=f"no configuration '{wanted}'; configurations: {names}; set dataset.config",
            exists=True,
        )
    pattern = re.compile(rf".+-{re.escape(split)}(-\d+-of-\d+)?\.(arrow|parquet)")
    prepared = [h for c in chosen for v in _subdirs(c) for h in _subdirs(v)]
    for hash_dir in sorted(prepared, key=lambda d: d.stat().st_mtime, reverse=True):
        files = sorted(p for p in hash_dir.iterdir() if pattern.fullmatch(p.name))
        if files:
            return CacheLookup(hash_dir, files=tuple(files), exists=True)
    where = chosen[0] if len(chosen) == 1 else builder
    return CacheLookup(where, problem=f"no prepared files of split '{split}'", exists=True)


def _subdirs(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    return sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))


def _config_name(path: Path) -> str:
    """A config directory's name without the data-files hash older `datasets` appended."""
    return re.sub(r"-[0-9a-f]{16,}$", "", path.name)


def _same_name(found: str, expected: str) -> bool:
    """Cache names lose case and may turn CamelCase into snake_case: compare loosely."""
    return _loose(found) == _loose(expected)


def _loose(name: str) -> str:
    owner, sep, rest = name.partition("___")
    return re.sub(r"[^a-z0-9]", "", owner.lower()) + sep + re.sub(r"[^a-z0-9]", "", rest.lower())
