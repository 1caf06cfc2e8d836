"""One job's outcome from the checker's verdict and the server's account of the job."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass
from typing import Any

from evalspec.scoring.sandbox.runtime.checker import DONE
from evalspec.scoring.sandbox.runtime.proc import SETUP_FAILED


@dataclass(frozen=True)
class Outcome:
    passed: bool
    detail: str | None = None


def parse_verdict(data: bytes) -> tuple[str, str | None]:
    """The checker's ("pass"|"fail"|"gone", detail) frame; ("gone", None) if it wrote none."""
    try:
        size = int.from_bytes(data[:4], "big")
        kind, detail = json.loads(data[4 : 4 + size].decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return "gone", None
    if kind not in ("pass", "fail", "gone") or not isinstance(detail, str | None):
        return "gone", None
    return kind, detail


def exit_detail(status: int | None, tail: bytes, full: bool) -> str:
    """Why a candidate that left the checker without answers ended."""
    if status is None:
        return "the candidate closed its channel"
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return {"SIGXCPU": "cpu time limit"}.get(name, f"killed by {name}")
    code = os.WEXITSTATUS(status)
    if code == 0:
        return "exited before the checker ran"
    if code == SETUP_FAILED:
        return "the sandbox could not set up the candidate"
    lines = [ln.strip() for ln in tail.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines and full else f"exit code {code}"


def outcome(
    reply: dict[str, Any], verdict: bytes, tail: bytes, limits: dict[str, Any], oom: bool
) -> Outcome:
    """Pass only when the checker judged a live candidate and said so, and no limit ended
    the job first. `oom`: the cgroup's memory limit killed a process during the job."""
    end = reply.get("end")
    if end == "timeout":
        return Outcome(False, "timeout")
    if end == "output":
        return Outcome(False, f"output limit exceeded ({limits['output_bytes'] // 1024} KiB)")
    kind, detail = parse_verdict(verdict)
    checker = reply.get("checker")
    if kind == "pass" and isinstance(checker, int) and os.waitstatus_to_exitcode(checker) == DONE:
        return Outcome(True)
    if kind == "fail":
        return Outcome(False, detail)
    if oom:
        return Outcome(False, "memory limit exceeded (all processes of the sample together)")
    status = reply.get("candidate")
    full = limits["details"] == "full"
    return Outcome(False, exit_detail(status if isinstance(status, int) else None, tail, full))
