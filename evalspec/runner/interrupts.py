"""Finishing interrupted runs: SIGINT, SIGTERM (how CI cancels a job) and write failures.

Inside `interruptible(run)`, SIGTERM is turned into an exception like Ctrl-C's, so
the run is never left "running": its manifest is marked "interrupted" (or "failed"
when writing failed, e.g. a full disk) with the reason, results.json is written
(with no unit results), every record appended so far stays, and the caller gets
one clear error with the contract's exit code (130 for SIGINT, 143 for SIGTERM, 3
for a write failure).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from evalspec.errors import EvalspecError, InfraError
from evalspec.store import Run

EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class RunInterrupted(EvalspecError):
    """The run was stopped by a signal; it is marked "interrupted"."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class _Terminated(BaseException):
    """Raised by the SIGTERM handler (a BaseException, like KeyboardInterrupt)."""


@contextlib.contextmanager
def interruptible(run: Run) -> Iterator[None]:
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main else None
    try:
        yield
    except KeyboardInterrupt as exc:
        _close(run, "interrupted", "interrupted by SIGINT (Ctrl-C)")
        raise RunInterrupted(_stopped(run, "SIGINT"), EXIT_SIGINT) from exc
    except _Terminated as exc:
        _close(run, "interrupted", "interrupted by SIGTERM (the job was cancelled)")
        raise RunInterrupted(_stopped(run, "SIGTERM"), EXIT_SIGTERM) from exc
    except OSError as exc:
        what = exc.strerror or str(exc)
        where = f" ({exc.filename})" if exc.filename else ""
        _close(run, "failed", f"could not write the run: {what}{where}")
        raise InfraError(
            f"run {run.run_id} failed: could not write{where}: {what}; free space or pass "
            "--runs-dir elsewhere (the records written so far are kept)"
        ) from exc
    except BaseException as exc:
        _close(run, "failed", f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()


def _stopped(run: Run, name: str) -> str:
    return (
        f"interrupted by {name}: run {run.run_id} is marked interrupted; the outputs "
        "generated so far are in the response cache, so the same command resumes"
    )


def _close(run: Run, status: str, reason: str) -> None:
    """Best effort: a disk too full to write the manifest leaves it as it was."""
    with contextlib.suppress(OSError, EvalspecError):
        run.finish([], status, reason=reason)
