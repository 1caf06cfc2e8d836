"""Errors meant for users, each carrying the exit code of the contract.

Exit codes: 0 pass (warnings allowed), 1 regression, 2 invalid spec or usage,
3 infrastructure failure, 130 interrupted (Ctrl-C / SIGINT). A traceback means
a bug; these do not.
"""

from __future__ import annotations

EXIT_PASS = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
EXIT_INFRA = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention: the user stopped it


class EvalspecError(Exception):
    """An error with one clear sentence for the user and an exit code."""

    exit_code = EXIT_USAGE


class SpecError(EvalspecError):
    """Invalid spec, thresholds or baseline file, missing file, bad usage (exit 2)."""

    exit_code = EXIT_USAGE


class InfraError(EvalspecError):
    """The machine or engine failed: engine would not load, package missing (exit 3)."""

    exit_code = EXIT_INFRA
