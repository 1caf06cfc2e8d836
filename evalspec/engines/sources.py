"""Model and adapter sources: their identity (cheap, for hashing) and local materialisation."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from evalspec.engines.builtin import converted_dir, gguf_path, resolve_builtin
from evalspec.errors import SpecError
from evalspec.paths import file_digest, tree_digest

BUILTIN_PREFIX = "builtin:"


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from and a digest of what it is."""

    kind: str  # "builtin" | "local" | "hub"
    location: str  # builtin name, absolute directory, or HF repo id
    revision: str | None
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
        return ModelSource(
            "hub", source, revision, f"hub:{source}@{revision or _hub_commit(source)}"
        )
    raise SpecError(
        f"{where}: model source '{source}' is neither a directory nor a Hugging Face repo id "
        "(owner/name) nor builtin:NAME"
    )


def remote_source(name: str, revision: str | None) -> ModelSource:
    """A model behind someone else's endpoint: only its name (and revision label) identify it."""
    return ModelSource("remote", name, revision, f"remote:{name}@{revision}")


def materialize(src: ModelSource) -> str:
    """A path or repo id the engine can load (converts built-in models once)."""
    if src.kind == "builtin":
        directory, _ = resolve_builtin(src.location)
        return str(directory)
    return src.location


def local_model_dir(src: ModelSource) -> Path | None:
    """The model's HF directory when it is already on local disk (never downloads/converts)."""
    if src.kind == "local":
        return Path(src.location)
    if src.kind == "builtin":
        return converted_dir(src.location)
    if src.kind == "hub":
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:
            return None
        found = try_to_load_from_cache(src.location, "config.json", revision=src.revision)
        return Path(found).parent if isinstance(found, str) else None
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


def _hub_commit(repo_id: str) -> str:
    """The cached snapshot commit of a hub model, or 'unresolved' when not cached."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return "unresolved"
    found = try_to_load_from_cache(repo_id, "config.json")
    if isinstance(found, str):
        parts = Path(found).parts
        if "snapshots" in parts:
            return parts[parts.index("snapshots") + 1]
    return "unresolved"
