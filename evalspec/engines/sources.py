"""Model and adapter sources: their identity (cheap, for hashing) and local materialisation.

A Hugging Face repo id is pinned to a commit when the plan is compiled: its `revision`
(a branch, tag or commit; none: the default branch) is resolved by huggingface_hub,
asking the Hub when online and reading the cache's `refs/` when offline
(HF_HUB_OFFLINE=1). The commit sha is the source's revision and digest, so unit
hashes and cached responses follow a moved branch, and the engine loads that commit's
snapshot. A revision that cannot be resolved (offline and not in the cache) stops the
plan with what to do (exit 3), as does one the Hub says does not exist (exit 2).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from evalspec.data.hub import (
    RevisionError,
    cached_snapshot,
    hub_cache_dir,
    hub_offline,
    resolve_commit,
)
from evalspec.digests import file_digest, tree_digest
from evalspec.engines.builtin import converted_dir, gguf_path, resolve_builtin
from evalspec.errors import InfraError, SpecError

BUILTIN_PREFIX = "builtin:"


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from and a digest of what it is."""

    kind: str  # "builtin" | "local" | "hub" | "remote"
    location: str  # builtin name, absolute directory, or HF repo id
    revision: str | None  # hub: the commit sha the spec's revision resolved to
    digest: str


def model_source(source: str, revision: str | None, base_dir: Path, where: str) -> ModelSource:
    """Identify a model without loading it. `where` is "FILE:LINE" for errors."""
    if source.startswith(BUILTIN_PREFIX):
        name = source[len(BUILTIN_PREFIX) :]
        try:
            digest = file_digest(gguf_path(name))
        except SpecError as exc:
            raise SpecError(f"{where}: {exc}") from exc
        return ModelSource("builtin", name, None, f"gguf:{digest}")
    local = _local_path(source, base_dir)
    if local is not None:
        if not (local / "config.json").is_file():
            raise SpecError(
                f"{where}: model directory {local} has no config.json; "
                "point `source` at a Hugging Face model directory"
            )
        return ModelSource("local", str(local), None, f"tree:{tree_digest(local)}")
    if source.count("/") == 1 and not source.startswith((".", "/")):
        commit = _hub_commit(source, revision, where)
        return ModelSource("hub", source, commit, f"hub:{source}@{commit}")
    raise SpecError(
        f"{where}: model source '{source}' is neither a directory nor a Hugging Face repo id "
        "(owner/name) nor builtin:NAME"
    )


def remote_source(name: str, revision: str | None) -> ModelSource:
    """A model behind someone else's endpoint: only its name (and revision label) identify it."""
    return ModelSource("remote", name, revision, f"remote:{name}@{revision}")


def materialize(src: ModelSource) -> str:
    """A path or repo id the engine can load (converts built-in models once); a hub model
    whose commit is in the cache loads from that commit's snapshot directory."""
    if src.kind == "builtin":
        directory, _ = resolve_builtin(src.location)
        return str(directory)
    if src.kind == "hub":
        snapshot = cached_snapshot(src.location, src.revision)
        return str(snapshot) if snapshot is not None else src.location
    return src.location


def local_model_dir(src: ModelSource) -> Path | None:
    """The model's HF directory when it is already on local disk (never downloads/converts)."""
    if src.kind == "local":
        return Path(src.location)
    if src.kind == "builtin":
        return converted_dir(src.location)
    if src.kind == "hub":
        return cached_snapshot(src.location, src.revision)
    return None


def adapter_digest(path: Path, where: str) -> tuple[str, int]:
    """(digest, LoRA rank) of a PEFT adapter directory."""
    config = path / "adapter_config.json"
    if not config.is_file():
        raise SpecError(
            f"{where}: adapter directory {path} has no adapter_config.json; "
            "point `path` at a PEFT LoRA adapter saved with save_pretrained()"
        )
    try:
        rank = int(json.loads(config.read_text())["r"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SpecError(f"{where}: {config} is not a LoRA adapter config ({exc})") from exc
    return tree_digest(path), rank


def resolve_path(path: str, base_dir: Path) -> Path:
    p = Path(os.path.expanduser(path))
    return p if p.is_absolute() else (base_dir / p).resolve()


def _local_path(source: str, base_dir: Path) -> Path | None:
    candidate = resolve_path(source, base_dir)
    if candidate.is_dir():
        return candidate
    if source.startswith((".", "/", "~")):
        raise SpecError(f"model directory not found: {candidate} (from '{source}')")
    return None


def _hub_commit(repo_id: str, revision: str | None, where: str) -> str:
    """The commit sha `revision` names (see the module docstring for failures)."""
    try:
        return resolve_commit(repo_id, revision)
    except RevisionError as exc:
        named = f"revision '{revision}'" if revision else "its default branch (main)"
        if exc.hub_answered:
            raise SpecError(
                f"{where}: model {repo_id}, {named}: the Hugging Face Hub refused it ({exc}); "
                "fix `source` or `revision` (or log in with `hf auth login` for a gated or "
                "private model)"
            ) from exc
        how = "HF_HUB_OFFLINE is set" if hub_offline() else "the Hub could not be reached"
        download = f"hf download {repo_id}" + (f" --revision {revision}" if revision else "")
        raise InfraError(
            f"{where}: model {repo_id}: cannot pin {named} to a commit: {how} and the "
            f"Hugging Face cache ({hub_cache_dir()}) does not have it; download it where the "
            f"Hub is reachable (`{download}`) and copy the cache here, or give `revision:` "
            "as a 40-character commit sha"
        ) from exc
