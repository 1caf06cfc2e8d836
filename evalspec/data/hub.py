"""Where Hugging Face datasets lie in the local caches (plain filesystem reads, no network).

Two caches: the hub cache (`huggingface-cli download`, `snapshot_download`) keeps a
repository's files in `datasets--OWNER--NAME/snapshots/<revision>/`; the `datasets` library
cache (`load_dataset`) keeps prepared Arrow files in
`OWNER___NAME/<config>/<version>/<hash>/<name>-<split>[-NNNNN-of-NNNNN].arrow`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


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


def hub_snapshot(repo_id: str) -> tuple[Path, Path | None]:
    """(the repository's cache directory, its snapshot to read or None when absent).

    The snapshot is the revision `refs/main` names, else the newest one present.
    """
    repo_dir = hub_cache_dir() / ("datasets--" + repo_id.replace("/", "--"))
    snapshots = repo_dir / "snapshots"
    ref = repo_dir / "refs" / "main"
    if ref.is_file():
        named = snapshots / ref.read_text(encoding="utf-8").strip()
        if named.is_dir():
            return repo_dir, named
    present = _subdirs(snapshots)
    if not present:
        return repo_dir, None
    return repo_dir, max(present, key=lambda d: d.stat().st_mtime)


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
