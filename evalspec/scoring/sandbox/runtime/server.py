"""In-sandbox fork server: one job at a time, candidate and checker in separate processes.

The host starts it (see launch.py) inside bubblewrap (as the namespace's PID 1), inside
the root jail, or as a plain child, with a SOCK_SEQPACKET socket on fd 0/1:

    server -> host   {"ready": true, "uid": ...}                         once, at start
    host -> server   b"job" + three fds: code memfd, test memfd, verdict pipe (write end)
    server -> host   4-byte length + JSON header, then the candidate's output tail (raw)
    server -> host   {"unclean": null or why}                            after cleaning up

The server never reads the code, the tests or the verdict: the candidate reads its code,
the checker its tests, and the checker writes the verdict straight to the host. So no
candidate is forked from a heap that held tests or earlier verdicts. What passes through
the server is the candidate's own output (in preallocated buffers it zeroes after each
job), exit statuses and timings. After each job it kills every process the job left,
empties the writable directories, removes SysV IPC objects and keyrings the sandbox uid
left, and checks that all of it worked before it reports the worker clean.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import platform
import selectors
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

from evalspec.scoring.sandbox.runtime.candidate import candidate_main
from evalspec.scoring.sandbox.runtime.checker import GONE, checker_main
from evalspec.scoring.sandbox.runtime.fs import clear_dir, remove_tree
from evalspec.scoring.sandbox.runtime.jail import enter
from evalspec.scoring.sandbox.runtime.proc import LIBC, drop_to, user_process_count

PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG = 4, 36, 1
REAP_WAIT_S = 1.0  # how long a vanished candidate may take to become reapable
KILL_ROUNDS = 200
TAIL_SIZE = 4096
OUT = bytearray(1 << 16)  # output is read into these two buffers only, then zeroed
TAIL = bytearray(TAIL_SIZE)
IPC_RMID = 0
KEYCTL = {"x86_64": 250, "aarch64": 219}.get(platform.machine())
KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = 7, -4, -5
WARM = (  # modules HumanEval-style programs import; forked children get them for free
    "typing", "math", "re", "collections", "itertools", "functools", "string", "hashlib",
    "heapq", "bisect", "random", "copy", "statistics", "fractions", "decimal", "operator",
)  # fmt: skip


class Tail:
    """The last TAIL_SIZE bytes of the candidate's output, in a ring over TAIL."""

    def __init__(self) -> None:
        self.pos, self.full, self.total = 0, False, 0

    def push(self, n: int) -> None:
        self.total += n
        src = memoryview(OUT)[:n]
        if n >= TAIL_SIZE:
            src, n = src[n - TAIL_SIZE :], TAIL_SIZE
        first = min(n, TAIL_SIZE - self.pos)
        TAIL[self.pos : self.pos + first] = src[:first]
        TAIL[: n - first] = src[first:n]
        self.full = self.full or self.pos + n >= TAIL_SIZE
        self.pos = (self.pos + n) % TAIL_SIZE

    def views(self) -> list[memoryview]:
        ring = memoryview(TAIL)
        return [ring[self.pos :], ring[: self.pos]] if self.full else [ring[: self.pos]]


def zero_buffers() -> None:
    OUT[:] = bytes(len(OUT))
    TAIL[:] = bytes(TAIL_SIZE)


# ------------------------------------------------------------------------------ one job
def run_job(config: dict[str, Any], code_fd: int, test_fd: int, verdict_fd: int) -> dict[str, Any]:
    work = config["work"]
    os.makedirs(work, mode=0o700, exist_ok=True)
    if config["candidate_uid"] is not None:
        os.chown(work, config["candidate_uid"], config["candidate_uid"])
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    out_r, out_w = os.pipe()
    checker = os.fork()  # first: it runs when the candidate counts its uid's processes
    if checker == 0:
        checker_main(config, test_fd, verdict_fd, req_w, rep_r)
    for fd in (test_fd, verdict_fd, req_w, rep_r):
        os.close(fd)
    candidate = os.fork()
    if candidate == 0:
        candidate_main(config, code_fd, req_r, rep_w, out_w)
    for fd in (code_fd, req_r, rep_w, out_w):
        os.close(fd)
    tail = Tail()
    try:
        header = watch(config, candidate, checker, out_r, tail)
    finally:
        os.close(out_r)
    kill_everything(config, candidate, checker)
    return header | {"output_bytes": tail.total, "tail": tail}


def watch(
    config: dict[str, Any], candidate: int, checker: int, out_r: int, tail: Tail
) -> dict[str, Any]:
    """Drain the candidate's output (capped) until the checker exits or the deadline."""
    deadline = time.monotonic() + config["timeout_s"]
    checker_fd = os.pidfd_open(checker)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(out_r, selectors.EVENT_READ)
            selector.register(checker_fd, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return {"end": "timeout"}
                for key, _ in selector.select(remaining):
                    if key.fd == checker_fd:
                        _, status = os.waitpid(checker, 0)
                        return {"end": "checker", "checker": status, **settle(candidate, status)}
                    n = os.readv(out_r, [OUT])
                    if not n:
                        selector.unregister(out_r)
                        continue
                    tail.push(n)
                    if tail.total > config["output_bytes"]:
                        return {"end": "output"}
    finally:
        os.close(checker_fd)


def settle(candidate: int, checker_status: int) -> dict[str, Any]:
    """The candidate's wait status when the checker gave up because it was gone: give an
    exiting candidate a moment to become reapable, so the reason does not depend on load."""
    if not os.WIFEXITED(checker_status) or os.WEXITSTATUS(checker_status) != GONE:
        return {"candidate": None}
    pidfd = os.pidfd_open(candidate)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(pidfd, selectors.EVENT_READ)
            selector.select(REAP_WAIT_S)
    finally:
        os.close(pidfd)
    pid, status = os.waitpid(candidate, os.WNOHANG)
    return {"candidate": status if pid else None}


# ------------------------------------------------------------------------ after the job
def sandbox_uids(config: dict[str, Any]) -> list[int]:
    """The uids sandboxed code runs as, other than the server's own (none under bwrap)."""
    uids = {config["candidate_uid"], config["checker_uid"]} - {None}
    return sorted(uid for uid in uids if uid != os.getuid())


def as_uid(uid: int, action: Callable[[], object]) -> None:
    """Run `action()` in a short-lived child that has become `uid` (kill -1, keyrings)."""
    helper = os.fork()
    if helper == 0:
        try:
            drop_to(uid)
            action()
        finally:
            os._exit(0)
    os.waitpid(helper, 0)


def kill_everything(config: dict[str, Any], candidate: int, checker: int) -> None:
    """SIGKILL every process the job started, then reap them all: the two we forked and
    their process groups first, then whatever escaped them (new sessions, orphans)."""
    for target in (-candidate, candidate, -checker, checker):
        with contextlib.suppress(OSError):
            os.kill(target, signal.SIGKILL)
    for pid in (candidate, checker):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    scope = config["kill_scope"]
    for _ in range(KILL_ROUNDS):
        reap()
        left = leftover_processes(config)
        if not left:
            return
        if scope == "namespace":  # PID 1 of its own namespace: -1 is everyone but us
            with contextlib.suppress(OSError):
                os.kill(-1, signal.SIGKILL)
        elif scope == "uid":  # a helper with each such uid kills all that uid runs
            for uid in left:
                as_uid(uid, lambda: os.kill(-1, signal.SIGKILL))
        else:  # same uid as the host: our descendants (orphans reparent to us)
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        time.sleep(0.001)


def reap() -> None:
    """Reap every child that has ended (orphans reparent to us: PID 1 or subreaper)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return


def children() -> list[int]:
    me, found = str(os.getpid()), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[1].decode() == me:
            found.append(int(entry))
    return found


def leftover_processes(config: dict[str, Any]) -> list[int]:
    """What is left of the job: pids (namespace, tree) or the sandbox uids with processes."""
    if config["kill_scope"] == "namespace":
        return [int(e) for e in os.listdir("/proc") if e.isdigit() and e != "1"]
    if config["kill_scope"] == "uid":
        return [uid for uid in sandbox_uids(config) if user_process_count(uid)]
    return children()


def remove_sysv(uids: list[int]) -> None:
    """Remove the SysV shared memory, semaphores and message queues these uids own."""
    for ident in sysv_objects("shm", uids):
        LIBC.shmctl(ident, IPC_RMID, None)
    for ident in sysv_objects("sem", uids):
        LIBC.semctl(ident, 0, IPC_RMID)
    for ident in sysv_objects("msg", uids):
        LIBC.msgctl(ident, IPC_RMID, None)


def sysv_objects(kind: str, uids: list[int]) -> list[int]:
    try:
        with open(f"/proc/sysvipc/{kind}") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    header, found = lines[0].split(), []
    for line in lines[1:]:
        fields = dict(zip(header, line.split(), strict=False))
        if int(fields.get("uid", -1)) in uids:
            found.append(int(fields[{"shm": "shmid", "sem": "semid", "msg": "msqid"}[kind]]))
    return found


def clear_keyrings() -> None:
    if KEYCTL is not None:
        for keyring in (KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING):
            LIBC.syscall(KEYCTL, KEYCTL_CLEAR, keyring)


def sweep(directory: str, uids: list[int]) -> None:
    """Remove what these uids left in a shared directory (the host's /tmp, /dev/shm)."""
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in list(entries):
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid in uids:
                    remove_tree(entry.path)


def clean_up(config: dict[str, Any]) -> str | None:
    """Empty what the job could write and check it; None if the worker is clean, else why."""
    owners = sandbox_uids(config) or [os.getuid()]
    problems = []
    for path in config["wipe"]:
        try:
            clear_dir(path)
        except OSError as exc:
            problems.append(f"cannot empty {path}: {exc.strerror}")
    for path in config["sweep"]:
        sweep(path, owners)
    if config["sysv"]:
        remove_sysv(owners)
        if any(sysv_objects(kind, owners) for kind in ("shm", "sem", "msg")):
            problems.append("SysV IPC objects left")
    if config["keyrings"]:  # the candidate's user keyrings outlive its processes
        if config["candidate_uid"] is None:
            clear_keyrings()
        else:
            as_uid(config["candidate_uid"], clear_keyrings)
    if leftover_processes(config):
        problems.append("processes left")
    for path in config["wipe"]:
        if os.listdir(path):
            problems.append(f"{path} not empty")
    if set(os.listdir("/proc/self/fd")) != config["fds"]:
        problems.append("descriptors leaked")
    return "; ".join(problems) or None


# ----------------------------------------------------------------------------- the loop
def start(config: dict[str, Any]) -> None:
    LIBC.prctl(PR_SET_DUMPABLE, 0)  # no ptrace and no /proc/<pid>/{mem,fd} for candidates
    LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1)
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    jail = config["jail"]
    if jail is not None:
        enter(jail["root"], jail["binds"], jail["links"], jail["tmp_bytes"], jail["shm_bytes"])
    for name in WARM:
        __import__(name)
    gc.disable()  # forked children must not walk (and so copy) the server's whole heap
    gc.freeze()


def main(config: dict[str, Any]) -> None:
    start(config)
    sock = socket.socket(fileno=0)
    config["fds"] = set(os.listdir("/proc/self/fd"))
    sock.sendall(json.dumps({"ready": True, "uid": os.getuid()}).encode())
    while True:
        message, fds, _, _ = socket.recv_fds(sock, 16, 3)
        if message != b"job" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            return
        result = run_job(config, *fds)
        tail: Tail = result.pop("tail")
        header = json.dumps(result).encode()
        sock.sendmsg([len(header).to_bytes(4, "big"), header, *tail.views()])
        zero_buffers()
        # the outcome is out; cleaning up (a deep tree on a slow disk takes seconds) is not
        # the sample's time, but the worker takes no job before it says it is clean
        sock.sendall(json.dumps({"unclean": clean_up(config)}).encode())
