"""Engine presets and device detection: memory_optimized, balanced, performance.

On a GPU the presets set vLLM's `gpu_memory_utilization` (0.75 / 0.85 / 0.95) and
the batch width (`max_num_seqs` 64 / 256 / 512). On vLLM's CPU build the KV cache
lives in RAM and is sized by `VLLM_CPU_KVCACHE_SPACE` (GiB): 1 / 2 / 4, and CUDA
graphs do not exist, so `enforce_eager` is on. Presets are transport knobs: they
change speed and memory, not outputs, so they are not part of a unit's hash.
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


def preset_args(preset: str, device: str) -> dict[str, Any]:
    return dict(PRESETS[preset][device])
