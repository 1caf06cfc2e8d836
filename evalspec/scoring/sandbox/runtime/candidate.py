"""The candidate process: loads the model's code and answers the checker's calls with data.

Forked by the server per job, it reads its code itself from a sealed memfd (the server
never holds it), joins the job's cgroup, keeps only its call pipes and its output pipe,
drops to its own uid where one is configured, takes its limits, then runs the untrusted
code. Results go back pickled; exceptions go back as data (name and message).
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import json
import os
import pickle
import signal
import sys
from typing import Any, NoReturn

from evalspec.scoring.sandbox.runtime.jail import CLONE_NEWIPC, unshare
from evalspec.scoring.sandbox.runtime.proc import (
    LIBC,
    PR_SET_DUMPABLE,
    SETUP_FAILED,
    drop_to,
    keep_fds,
    set_limits,
    user_process_count,
)
from evalspec.scoring.sandbox.runtime.wire import read_frame, read_sealed, write_frame

REQUEST_FD, REPLY_FD = 3, 4


def candidate_main(
    config: dict[str, Any], code_fd: int, req_r: int, rep_w: int, out_w: int
) -> NoReturn:
    try:
        os.setsid()
        for fd in config["cgroup_fds"]:  # the job cgroup: memory and pids across processes
            os.write(fd, b"0")
        job = json.loads(read_sealed(code_fd))
        devnull = os.open(os.devnull, os.O_RDONLY)
        keep_fds((devnull, out_w, out_w), [req_r, rep_w])
        if config["ipc_per_job"]:  # SysV objects die with the job
            unshare(CLONE_NEWIPC)
        os.chdir(config["work"])
        LIBC.prctl(PR_SET_DUMPABLE, 1)  # own /proc/self files for a moment
        with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")  # the OOM killer's first pick, children included
        uid = config["candidate_uid"]
        drop_to(uid)  # non-dumpable again
        # RLIMIT_NPROC counts every process of the uid: the server and checker where they
        # share it (they run already), the host user's others under rlimits as a user
        set_limits(
            config, config["max_procs"] + user_process_count(os.getuid()), config["file_bytes"]
        )
        os.environ.clear()
        os.environ.update({"HOME": config["work"], "TMPDIR": config["work"], "LANG": "C.UTF-8"})
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        sys.stdout = open(1, "w", closefd=False, encoding="utf-8", buffering=1)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, encoding="utf-8", buffering=1)  # noqa: SIM115
        gc.enable()
    except BaseException:
        os._exit(SETUP_FAILED)
    status = 0
    try:
        status = serve(job["code"], job["entry_point"])
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        status = 1
    os._exit(status & 0xFF)


def send(message: tuple[object, ...]) -> None:
    try:
        payload = pickle.dumps(message, protocol=5)
    except BaseException:
        payload = pickle.dumps(("opaque", type(message[-1]).__name__), protocol=5)
    write_frame(REPLY_FD, payload)


def serve(code: str, entry_point: str) -> int:
    """Load the code, then answer calls until the checker closes the request pipe."""
    namespace: dict[str, object] = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(code, "candidate.py", "exec"), namespace)
        function = namespace.get(entry_point)
        if not callable(function):
            raise NameError(f"name '{entry_point}' is not defined")
    except SystemExit:
        raise
    except BaseException as exc:
        send(("error", type(exc).__name__, str(exc)[:500]))
        return 1
    send(("ready",))
    while True:
        request = read_frame(REQUEST_FD)
        if request is None:
            return 0
        args, kwargs = pickle.loads(request)
        try:
            value = function(*args, **kwargs)
        except SystemExit:
            raise
        except BaseException as exc:
            send(("raise", type(exc).__name__, str(exc)[:500]))
            continue
        send(("ok", value))
