"""A real Hugging Face hub cache in a temporary directory: blobs, snapshots, refs.

The layout is huggingface_hub's own (`models--OWNER--NAME/{blobs,refs,snapshots}`,
snapshot files are relative links to content-addressed blobs), written here by hand
so tests can move a branch or leave a ref out.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

HF_ENV = ("HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME")


def isolated_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HF_HUB_CACHE at an empty directory under tmp_path, offline; returns it."""
    for var in HF_ENV:
        monkeypatch.delenv(var, raising=False)
    hub = tmp_path / "hf-hub"
    hub.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return hub


def repo_dir(hub: Path, repo_id: str, repo_type: str = "model") -> Path:
    return hub / f"{repo_type}s--{repo_id.replace('/', '--')}"


def add_snapshot(
    hub: Path, repo_id: str, commit: str, files: dict[str, bytes], repo_type: str = "model"
) -> Path:
    """Snapshot `commit` of the repo with these files (links to blobs); returns its path."""
    root = repo_dir(hub, repo_id, repo_type)
    (root / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot = root / "snapshots" / commit
    for name, content in files.items():
        blob = root / "blobs" / hashlib.sha256(content).hexdigest()
        blob.write_bytes(content)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return snapshot


def set_ref(hub: Path, repo_id: str, ref: str, commit: str, repo_type: str = "model") -> None:
    """refs/<ref> names `commit` (huggingface_hub writes refs without a newline)."""
    path = repo_dir(hub, repo_id, repo_type) / "refs" / ref
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(commit, encoding="utf-8")
