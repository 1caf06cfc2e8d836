"""The checker process: runs the trusted prelude and tests against the candidate, via data.

Forked by the server per job after the candidate, it reads the tests itself from a sealed
memfd (the server never holds them), keeps only the call pipes and its verdict pipe to
the host, drops to its own uid where one is configured, and calls `check(proxy)`. The
proxy pickles arguments to the candidate and decodes replies as plain builtin data, so
nothing the candidate defines runs here. The verdict goes straight to the host (one
atomic write, at most PIPE_BUF bytes); the exit status tells the server whether the
candidate was still there.
"""

from __future__ import annotations

import builtins
import gc
import json
import os
import pickle
import signal
from typing import Any, NoReturn

from evalspec.scoring.sandbox.runtime.proc import SETUP_FAILED, drop_to, keep_fds, set_limits
from evalspec.scoring.sandbox.runtime.wire import (
    forwarded,
    plain_loads,
    read_frame,
    read_sealed,
    write_frame,
)

REQUEST_FD, REPLY_FD, VERDICT_FD = 3, 4, 5
DONE, GONE = 0, 3  # exit statuses the server reads
DETAIL_CHARS = 300  # the verdict stays far below PIPE_BUF: one write, never half of one


class CandidateGone(BaseException):
    """The candidate process ended or broke the protocol; never caught by `except Exception`."""


class Link:
    """The checker's end of the call pipes to the candidate."""

    def __init__(self) -> None:
        self.gone = False

    def receive(self) -> tuple[object, ...]:
        try:
            payload = read_frame(REPLY_FD)
            message = plain_loads(payload) if payload is not None else None
        except Exception:
            message = None
        if not isinstance(message, tuple) or not message or not isinstance(message[0], str):
            self.gone = True
            raise CandidateGone
        return message

    def call(self, *args: object, **kwargs: object) -> object:
        if self.gone:
            raise CandidateGone
        try:
            write_frame(REQUEST_FD, pickle.dumps((args, kwargs), protocol=5))
        except OSError:
            self.gone = True
            raise CandidateGone from None
        message = self.receive()
        if message[0] == "ok" and len(message) == 2:
            return message[1]
        if message[0] == "raise" and len(message) == 3:
            raise forwarded(message[1], message[2])
        if message[0] == "opaque":
            raise TypeError(f"the candidate returned a non-data value ({message[1:]!r})")
        self.gone = True
        raise CandidateGone


def describe(exc: BaseException, details: str) -> str:
    name = type(exc).__name__
    if details != "full":
        return name if hasattr(builtins, name) else "Exception"
    text = str(exc).strip().splitlines()
    return f"{name}: {text[-1]}" if text else name


def judge(trusted: dict[str, str], link: Link, details: str) -> tuple[str, str | None]:
    """("pass"|"fail"|"gone", detail) of the trusted test against the candidate."""
    try:
        namespace: dict[str, object] = {"__name__": "__check__"}
        exec(compile(trusted["prelude"], "prelude.py", "exec"), namespace)
        exec(compile(trusted["test"], "test.py", "exec"), namespace)
        first = link.receive()
        if first[0] == "error" and len(first) == 3:
            raise forwarded(first[1], first[2])
        if first[0] != "ready":
            raise CandidateGone
        namespace[trusted["entry_point"]] = link.call
        check = namespace["check"]
        if not callable(check):
            raise TypeError("the test defines no check()")
        check(link.call)
    except CandidateGone:
        return "gone", None
    except BaseException as exc:
        return ("gone", None) if link.gone else ("fail", describe(exc, details)[:DETAIL_CHARS])
    # a test that swallowed CandidateGone (`except BaseException`) still did not pass
    return ("gone", None) if link.gone else ("pass", None)


def checker_main(
    config: dict[str, Any], test_fd: int, verdict_fd: int, req_w: int, rep_r: int
) -> NoReturn:
    try:
        os.setpgid(0, 0)
        trusted = json.loads(read_sealed(test_fd))
        devnull = os.open(os.devnull, os.O_RDWR)
        keep_fds((devnull, devnull, devnull), [req_w, rep_r, verdict_fd])
        drop_to(config["checker_uid"])
        set_limits(config, None, 0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        gc.enable()
    except BaseException:
        os._exit(SETUP_FAILED)
    link = Link()
    kind, detail = judge(trusted, link, config["details"])
    del trusted
    payload = json.dumps([kind, detail]).encode()
    os.write(VERDICT_FD, len(payload).to_bytes(4, "big") + payload)
    os._exit(GONE if kind == "gone" else DONE)
