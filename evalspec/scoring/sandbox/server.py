"""The in-sandbox fork server: runs candidate and checker in separate forked processes.

Self-contained (standard library only): the host starts it as `python -I -S -c <this
source> <config json>`, inside bubblewrap (as the namespace's PID 1) or as a plain child
with rlimits. Protocol on fd 0/1, 4-byte big-endian length frames:

    server -> host   {"ready": true}                              once, after start-up
    host -> server   frame A {"code", "entry_point"}               the untrusted candidate
                     frame B {"prelude", "test"}                   trusted: read only after
                                                                   the candidate is forked
    server -> host   {"passed": bool, "detail": str | null}        one per job

Per job the server forks the candidate (own session, rlimits, optional uid drop, no fd
but its two call pipes and its output pipe), then creates the verdict pipe and forks the
checker. The checker execs the trusted prelude and test and calls `check(proxy)`: the
proxy sends pickled arguments to the candidate, which calls its function and pickles the
result back; the checker unpickles with an Unpickler that builds only plain builtin data
(no classes, so no `__eq__` of the candidate's) and writes the verdict on a pipe the
candidate never had. The server holds the only read end; afterwards it kills every
process the job left and wipes the work directory.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import gc
import io
import json
import os
import pickle
import resource
import selectors
import shutil
import signal
import sys
import time

CONFIG = json.loads(sys.argv[1])
LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
CLONE_NEWNET = 0x40000000
REAP_WAIT_S = 1.0  # how long a vanished candidate may take to become reapable
TAIL = 4096
MAX_FRAME = 64 << 20
SAFE_CLASSES = {"complex", "set", "frozenset", "bytearray"}
# warm modules HumanEval-style programs import; forked children get them for free
for _name in (
    "typing", "math", "re", "collections", "itertools", "functools", "string", "hashlib",
    "heapq", "bisect", "random", "copy", "statistics", "fractions", "decimal", "operator",
):  # fmt: skip
    __import__(_name)


def read_exact(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> bytes | None:
    head = read_exact(fd, 4)
    if head is None:
        return None
    size = int.from_bytes(head, "big")
    if size > MAX_FRAME:
        return None
    return read_exact(fd, size)


def write_frame(fd: int, payload: bytes) -> None:
    data = len(payload).to_bytes(4, "big") + payload
    while data:
        data = data[os.write(fd, data) :]


def keep_fds(stdio: tuple[int, int, int], keep: list[int]) -> None:
    """Make `keep` fds 3, 4, ... and stdio 0-2; close every other descriptor."""
    import fcntl

    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 256) for fd in keep]
    std = [fcntl.fcntl(fd, fcntl.F_DUPFD, 256) for fd in stdio]
    for target, fd in enumerate(std):
        os.dup2(fd, target)
    for index, fd in enumerate(high):
        os.dup2(fd, 3 + index)
    os.closerange(3 + len(keep), 1 << 16)


def set_limits(cpu: bool, nproc: int | None, fsize: int) -> None:
    limits = [
        (resource.RLIMIT_AS, CONFIG["memory_bytes"]),
        (resource.RLIMIT_FSIZE, fsize),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, CONFIG["open_files"]),
    ]
    if cpu:
        limits.append((resource.RLIMIT_CPU, CONFIG["cpu_s"]))
    if nproc is not None:
        limits.append((resource.RLIMIT_NPROC, nproc))
    for key, value in limits:
        # CPU: SIGXCPU at the limit ("cpu time limit"), SIGKILL a second later if ignored
        hard = value + 1 if key == resource.RLIMIT_CPU else value
        resource.setrlimit(key, (value, hard))


def user_process_count(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                count += os.stat(f"/proc/{entry}").st_uid == uid
    return count


# ---------------------------------------------------------------------------- candidate
def candidate_main(code: str, entry_point: str, req_r: int, rep_w: int, out_w: int) -> None:
    try:
        os.setsid()
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        keep_fds((devnull, out_w, out_w), [req_r, rep_w])
        os.chdir(CONFIG["work"])
        uid = CONFIG["candidate_uid"]
        if CONFIG["netns"] and LIBC.unshare(CLONE_NEWNET) != 0:
            os._exit(121)
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        nproc = CONFIG["max_procs"]
        if CONFIG["nproc_shared"]:  # same uid as the host: count what it already runs
            nproc += user_process_count(os.getuid())
        set_limits(True, nproc, CONFIG["file_bytes"])
        os.environ.clear()
        os.environ.update({"HOME": CONFIG["work"], "TMPDIR": CONFIG["work"], "LANG": "C.UTF-8"})
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        sys.stdout = open(1, "w", closefd=False, encoding="utf-8", buffering=1)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, encoding="utf-8", buffering=1)  # noqa: SIM115
        gc.enable()
    except BaseException:
        os._exit(120)
    status = 0
    try:
        status = serve_candidate(code, entry_point)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        status = 1
    os._exit(status & 0xFF)


def send_reply(message: tuple[object, ...]) -> None:
    try:
        payload = pickle.dumps(message, protocol=5)
    except BaseException:
        payload = pickle.dumps(("opaque", type(message[1]).__name__), protocol=5)
    write_frame(4, payload)


def serve_candidate(code: str, entry_point: str) -> int:
    namespace: dict[str, object] = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(code, "candidate.py", "exec"), namespace)
        function = namespace.get(entry_point)
        if not callable(function):
            raise NameError(f"name '{entry_point}' is not defined")
    except SystemExit:
        raise
    except BaseException as exc:
        send_reply(("error", type(exc).__name__, str(exc)[:500]))
        return 1
    send_reply(("ready",))
    while True:
        request = read_frame(3)
        if request is None:
            return 0
        args, kwargs = pickle.loads(request)
        try:
            value = function(*args, **kwargs)
        except SystemExit:
            raise
        except BaseException as exc:
            send_reply(("raise", type(exc).__name__, str(exc)[:500]))
            continue
        try:
            payload = pickle.dumps(("ok", value), protocol=5)
        except BaseException:
            payload = pickle.dumps(("opaque", type(value).__name__), protocol=5)
        write_frame(4, payload)


# ------------------------------------------------------------------------------ checker
class CandidateGone(BaseException):
    """The candidate process ended or broke the protocol; never caught by `except Exception`."""


class PlainData(pickle.Unpickler):
    """Builds builtin data only: any class reference (an int subclass, an object with its
    own __eq__, a function) is refused."""

    def find_class(self, module: str, name: str) -> object:
        if module == "builtins" and name in SAFE_CLASSES:
            return getattr(builtins, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


def plain_loads(payload: bytes) -> object:
    return PlainData(io.BytesIO(payload)).load()


def candidate_exception(name: object, message: object) -> BaseException:
    text = message if isinstance(message, str) else ""
    cls = getattr(builtins, name, None) if isinstance(name, str) else None
    if isinstance(cls, type) and issubclass(cls, Exception):
        made: BaseException = cls(text)
        return made
    label = name if isinstance(name, str) and name.isidentifier() else "Exception"
    other: BaseException = type(label, (Exception,), {})(text)
    return other


class Link:
    """The checker's end of the call pipes to the candidate."""

    def __init__(self) -> None:
        self.gone = False

    def receive(self) -> tuple[object, ...]:
        try:
            payload = read_frame(4)
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
            write_frame(3, pickle.dumps((args, kwargs), protocol=5))
        except OSError:
            self.gone = True
            raise CandidateGone from None
        message = self.receive()
        if message[0] == "ok" and len(message) == 2:
            return message[1]
        if message[0] == "raise" and len(message) == 3:
            raise candidate_exception(message[1], message[2])
        if message[0] == "opaque":
            raise TypeError(f"the candidate returned a non-data value ({message[1:]!r})")
        self.gone = True
        raise CandidateGone


def describe(exc: BaseException) -> str:
    name = type(exc).__name__
    if CONFIG["details"] != "full":
        return name if hasattr(builtins, name) else "Exception"
    text = str(exc).strip().splitlines()
    return f"{name}: {text[-1]}" if text else name


def checker_main(
    trusted: dict[str, str], entry_point: str, req_w: int, rep_r: int, ver_w: int
) -> None:
    try:
        os.setpgid(0, 0)
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        devnull = os.open(os.devnull, os.O_RDWR)
        keep_fds((devnull, devnull, devnull), [req_w, rep_r, ver_w])
        set_limits(True, None, 0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        gc.enable()
    except BaseException:
        os._exit(120)
    link = Link()
    verdict: tuple[str, str | None]
    try:
        namespace: dict[str, object] = {"__name__": "__check__"}
        exec(compile(trusted["prelude"], "prelude.py", "exec"), namespace)
        exec(compile(trusted["test"], "test.py", "exec"), namespace)
        first = link.receive()
        if first[0] == "error" and len(first) == 3:
            raise candidate_exception(first[1], first[2])
        if first[0] != "ready":
            raise CandidateGone
        namespace[entry_point] = link.call
        check = namespace["check"]
        if not callable(check):
            raise TypeError("the test defines no check()")
        check(link.call)
        verdict = ("gone", None) if link.gone else ("pass", None)
    except CandidateGone:
        verdict = ("gone", None)
    except BaseException as exc:
        verdict = ("gone", None) if link.gone else ("fail", describe(exc)[:300])
    write_frame(5, json.dumps(verdict).encode())
    os._exit(0)


# ------------------------------------------------------------------------------- server
def kill_everything(candidate: int, checker: int) -> None:
    """SIGKILL every process the job started, then reap them all."""
    for target in (-candidate, candidate, checker):
        with contextlib.suppress(OSError):
            os.kill(target, signal.SIGKILL)
    scope = CONFIG["kill_scope"]
    if scope == "namespace":  # PID 1 of its own namespace: -1 is everyone but us
        with contextlib.suppress(OSError):
            os.kill(-1, signal.SIGKILL)
    elif scope == "uid":  # a helper with the candidate's uid kills all that uid runs
        helper = os.fork()
        if helper == 0:
            try:
                os.setgid(CONFIG["candidate_uid"])
                os.setuid(CONFIG["candidate_uid"])
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
    if scope in ("namespace", "uid"):
        # everything left is dying; orphans reparent to us (PID 1 or subreaper)
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                return
    for pid in (candidate, checker):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    reap_children(kill=True)


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


def reap_children(kill: bool) -> None:
    """Reap until no child is left (orphans reparent to us: PID 1 or subreaper)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid:
            continue
        left = children()
        if not left:
            return
        if kill:
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        time.sleep(0.001)


def wipe(path: str) -> None:
    for entry in os.listdir(path):
        full = os.path.join(path, entry)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(full)


def run_job(job: dict[str, str]) -> dict[str, object]:
    work = CONFIG["work"]
    os.makedirs(work, mode=0o700, exist_ok=True)
    if CONFIG["candidate_uid"] is not None:
        os.chown(work, CONFIG["candidate_uid"], CONFIG["candidate_uid"])
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    out_r, out_w = os.pipe()
    sys.stdout.flush()
    candidate = os.fork()
    if candidate == 0:
        candidate_main(job["code"], job["entry_point"], req_r, rep_w, out_w)
    for fd in (req_r, rep_w, out_w):
        os.close(fd)
    frame = read_frame(0)  # the tests arrive only now: the candidate never had them
    if frame is None:
        kill_everything(candidate, candidate)
        sys.exit(0)
    ver_r, ver_w = os.pipe()
    checker = os.fork()
    if checker == 0:
        checker_main(json.loads(frame), job["entry_point"], req_w, rep_r, ver_w)
    del frame
    for fd in (req_w, rep_r, ver_w):
        os.close(fd)
    outcome = watch(candidate, out_r, ver_r)
    kill_everything(candidate, checker)
    for fd in (out_r, ver_r):
        os.close(fd)
    wipe(CONFIG["wipe"])
    return outcome


def exit_detail(status: int | None, tail: bytes) -> str:
    if status is None:
        return "the candidate closed its channel"
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return {"SIGXCPU": "cpu time limit"}.get(name, f"killed by {name}")
    code = os.WEXITSTATUS(status)
    if code == 0:
        return "exited before the checker ran"
    lines = [ln.strip() for ln in tail.decode("utf-8", "replace").splitlines() if ln.strip()]
    if lines and CONFIG["details"] == "full":
        return lines[-1]
    return f"exit code {code}"


def watch(candidate: int, out_r: int, ver_r: int) -> dict[str, object]:
    # closed here, not by the garbage collector: a forked child would close its fd number
    with selectors.DefaultSelector() as selector:
        return wait_verdict(selector, candidate, out_r, ver_r)


def wait_verdict(
    selector: selectors.BaseSelector, candidate: int, out_r: int, ver_r: int
) -> dict[str, object]:
    """Drain the candidate's output (capped) until the checker's verdict or the deadline."""
    deadline = time.monotonic() + CONFIG["timeout_s"]
    selector.register(out_r, selectors.EVENT_READ)
    selector.register(ver_r, selectors.EVENT_READ)
    verdict, tail, total, reason = b"", b"", 0, None
    verdict_done = False
    while not verdict_done:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return {"passed": False, "detail": "timeout"}
        for key, _ in selector.select(remaining):
            data = os.read(key.fd, 1 << 16)
            if key.fd == ver_r:
                verdict += data
                verdict_done = not data
            elif not data:
                selector.unregister(out_r)
            else:
                total += len(data)
                tail = (tail + data)[-TAIL:]
                if total > CONFIG["output_bytes"] and reason is None:
                    reason = f"output limit exceeded ({CONFIG['output_bytes'] // 1024} KiB)"
                    with contextlib.suppress(OSError):
                        os.killpg(candidate, signal.SIGKILL)
    try:
        kind, detail = json.loads(verdict[4:].decode())
    except (ValueError, TypeError):
        kind, detail = "gone", None
    if kind == "pass" and reason is None:
        return {"passed": True, "detail": None}
    if reason is not None:
        return {"passed": False, "detail": reason}
    if kind == "fail":
        return {"passed": False, "detail": detail}
    # the checker gave up because the candidate is gone: give an exiting candidate a moment
    # to become reapable, so the reason does not depend on how loaded the machine is
    reap_by = time.monotonic() + REAP_WAIT_S
    pid, status = os.waitpid(candidate, os.WNOHANG)
    while not pid and time.monotonic() < reap_by:
        time.sleep(0.005)
        pid, status = os.waitpid(candidate, os.WNOHANG)
    return {"passed": False, "detail": exit_detail(status if pid else None, tail)}


def main() -> None:
    LIBC.prctl(PR_SET_DUMPABLE, 0)  # no ptrace and no /proc/<pid>/{mem,fd} for candidates
    LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1)
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    gc.disable()  # forked children must not walk (and so copy) the server's whole heap
    gc.freeze()
    write_frame(1, json.dumps({"ready": True}).encode())
    while True:
        frame = read_frame(0)
        if frame is None:
            return
        result = run_job(json.loads(frame))
        write_frame(1, json.dumps(result).encode())


main()
