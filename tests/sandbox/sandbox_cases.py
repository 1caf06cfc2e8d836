"""Helpers of the sandbox tests: isolation modes to run, a toy task, finding sandbox processes."""

from __future__ import annotations

import os

import psutil
import pytest

from evalspec.data import Sample
from evalspec.scoring.code_exec import score_code
from evalspec.scoring.results import Score
from evalspec.scoring.sandbox import Limits, probe_bwrap, rlimits_drops_uid

SERVER_MARK = "In-sandbox fork server"
ROOT = os.geteuid() == 0
BWRAP_PROBLEM = probe_bwrap()
MODES = [
    pytest.param(
        "bwrap",
        marks=pytest.mark.skipif(
            BWRAP_PROBLEM is not None, reason=f"bubblewrap unusable: {BWRAP_PROBLEM}"
        ),
    ),
    "rlimits",
]
# The rlimits fallback separates a sample from the host user only when it can drop to a uid
# of its own (root, and a standard library every uid can read); otherwise the sample runs
# with the host user's rights: it can read and write that user's files and signal its
# processes. It gets an empty network namespace only when evalspec runs as root.
DROPS_UID = rlimits_drops_uid()
NO_UID_DROP = "rlimits here runs samples as the host user: files and processes are not protected"
NO_NETNS = "rlimits without root cannot take the network away"

ADD_TEST = (
    "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
)
ADD = Sample(
    "toy/add", "def add(a: int, b: int) -> int:\n", meta={"test": ADD_TEST, "entry_point": "add"}
)
FAST = Limits(timeout_s=1.5, memory_mib=256, max_procs=16, max_output_kib=64, max_file_kib=64)


def score_add(code: str, isolation: str, limits: Limits = FAST, test: str = ADD_TEST) -> Score:
    """Score a full-module candidate for `add` (fenced, so the prompt is only its prelude)."""
    sample = Sample(ADD.id, ADD.prompt, meta={**ADD.meta, "test": test})
    fenced = f"```python\n{code}\n```"
    if "def add" not in code:
        fenced = f"```python\n{code}\ndef add(a, b):\n    return None\n```"
    return score_code([sample], [fenced], limits=limits, isolation=isolation, workers=1)[0]  # type: ignore[arg-type]


def sandbox_processes() -> list[psutil.Process]:
    """Live processes that came from a sandbox server (candidates inherit its command line)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if SERVER_MARK in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found
