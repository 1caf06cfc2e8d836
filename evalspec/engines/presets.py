"""Engine presets and device detection: memory_optimized, balanced, performance.

On a GPU the presets set vLLM's `gpu_memory_utilization` (0.75 / 0.85 / 0.95) and
the batch width (`max_num_seqs` 64 / 256 / 512). On vLLM's CPU build the KV cache
lives in RAM and is sized by `VLLM_CPU_KVCACHE_SPACE` (GiB): 1 / 2 / 4, and CUDA
graphs do not exist, so `enforce_eager` is on. The `hf` engine's presets set its
`generate` batch size instead (CPU 4 / 8 / 16, GPU 16 / 32 / 64). Presets are
transport knobs: they change speed and memory, not outputs, so they are not part
of a unit's hash.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "memory_optimized": {
        "cuda": {"gpu_memory_utilization": 0.75, "max_num_seqs": 64},
        "cpu": {"kv_cache_gib": 1, "max_num_seqs": 64},
    },
    "balanced": {
        "cuda": {"gpu_memory_utilization": 0.85, "max_num_seqs": 256},
        "cpu": {"kv_cache_gib": 2, "max_num_seqs": 128},
    },
    "performance": {
        "cuda": {"gpu_memory_utilization": 0.95, "max_num_seqs": 512},
        "cpu": {"kv_cache_gib": 4, "max_num_seqs": 256},
    },
}

# the hf engine's presets: prompts per `generate` batch (left-padded). GPU batches are
# larger; a 4-bit 7B model in 24 GiB still fits 32 x 2k-token sequences.
HF_PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "memory_optimized": {"cuda": {"batch_size": 16}, "cpu": {"batch_size": 4}},
    "balanced": {"cuda": {"batch_size": 32}, "cpu": {"batch_size": 8}},
    "performance": {"cuda": {"batch_size": 64}, "cpu": {"batch_size": 16}},
}

# engine arguments that change speed or memory but not outputs: excluded from unit hashes
TRANSPORT_ARGS = frozenset(
    {
        "gpu_memory_utilization",
        "max_num_seqs",
        "max_num_batched_tokens",
        "enforce_eager",
        "swap_space",
        "cpu_offload_gb",
        "enable_prefix_caching",
        "tensor_parallel_size",
        "pipeline_parallel_size",
        "disable_log_stats",
        "kv_cache_gib",
        "batch_size",
        "device_map",
        "low_cpu_mem_usage",
    }
)


def vllm_distribution() -> tuple[str, str] | None:
    """(distribution name, version) of the installed vLLM, without importing it."""
    for name in ("vllm", "vllm-cpu"):
        try:
            return name, importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def detect_device() -> str:
    """'cpu' with vLLM's CPU build, else 'cuda'."""
    dist = vllm_distribution()
    return "cpu" if dist is None or dist[0] == "vllm-cpu" else "cuda"


def hf_device() -> str:
    """'cuda' when torch sees a GPU, else 'cpu' (the hf engine's device)."""
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def device_name(device: str) -> str:
    """The GPU's name on CUDA, else 'cpu:<machine>' (for fingerprints)."""
    if device == "cuda":
        try:
            import torch

            return str(torch.cuda.get_device_name(0))
        except Exception:  # no CUDA visible: report the kind only
            return "cuda"
    import platform

    return f"cpu:{platform.machine()}"


def preset_args(preset: str, device: str, engine: str = "vllm") -> dict[str, Any]:
    table = HF_PRESETS if engine == "hf" else PRESETS
    return dict(table[preset][device])
