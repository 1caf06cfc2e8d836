"""Host side of one sandbox worker: start the server, hand it jobs, verify it after each one.

A job goes to the server as three descriptors (sealed memfds with the candidate's code and
with the tests, and the write end of a fresh verdict pipe) over a SOCK_SEQPACKET socket;
the server hands each to the process that needs it without reading it. After the reply
the worker is reused only if the server reported itself clean and the job's cgroup is
empty; otherwise it is killed with everything it started and replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import time
from typing import Any

from evalspec.errors import InfraError
from evalspec.scoring.sandbox import launch
from evalspec.scoring.sandbox.cgroups import JobCgroup
from evalspec.scoring.sandbox.interpreter import python_executable
from evalspec.scoring.sandbox.isolation import Setup
from evalspec.scoring.sandbox.launch import Uids
from evalspec.scoring.sandbox.limits import Limits
from evalspec.scoring.sandbox.outcome import Outcome, outcome
from evalspec.scoring.sandbox.runtime.fs import remove_tree

START_TIMEOUT_S = 30.0
GRACE_S = 5.0  # the server enforces the deadline; this is the host's backstop
CLEANUP_TIMEOUT_S = 120.0  # after it, a worker still cleaning up is replaced
ERR_TAIL = 2000
REPLY_MAX = 1 << 16
SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE


def sealed(payload: dict[str, str]) -> int:
    """A read-only memfd holding `payload` as JSON."""
    fd = os.memfd_create("evalspec-job", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    data = json.dumps(payload).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS)
    return fd


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (host pids, from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo += [int(child) for child in handle.read().split()]
    return found


class Worker:
    """One fork server process (in bwrap, in the jail, or plain) and its socket."""

    def __init__(
        self, setup: Setup, limits: Limits, index: int, uids: Uids | None, pool: str
    ) -> None:
        self.setup, self.limits, self.uids = setup, limits, uids
        self.tmp = tempfile.mkdtemp(prefix="evalspec-sandbox-")
        self.err_path = self.tmp + ".err"
        self.cgroup: JobCgroup | None = None
        self.restarts = 0
        try:
            if setup.cgroup:
                self.cgroup = JobCgroup(pool, index, limits.memory_mib << 20, limits.max_procs + 1)
            self.proc, self.sock = self._start()
        except BaseException:
            self._cleanup()
            raise

    # ---------------------------------------------------------------------------- start
    def _command(self, join_fds: list[int]) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
        """(argv, extra Popen arguments, server config) for this worker."""
        setup, limits, uids = self.setup, self.limits, self.uids
        python = python_executable()
        extra: dict[str, Any] = {}
        if setup.isolation == "bwrap":
            config = launch.bwrap_config(limits, join_fds)
            argv = launch.bwrap_argv(launch.bwrap_path(), limits, setup.as_root)
            if uids is not None:  # bwrap itself runs as the worker's own host uid
                extra = {"user": uids.worker, "group": uids.worker, "extra_groups": []}
            return [*argv, *launch.server_command(python, config)], extra, config
        if setup.jail and uids is not None:
            config = launch.jail_config(limits, join_fds, uids, self.tmp)
        else:
            os.chmod(self.tmp, 0o711)  # a dropped uid may enter its work dir, not list it
            config = launch.plain_config(limits, join_fds, uids, self.tmp)
            python = launch.plain_python(setup.as_root)
        extra = {"env": launch.server_env()}  # none of the host's variables (tokens, keys)
        return launch.server_command(python, config), extra, config

    def _start(self) -> tuple[subprocess.Popen[bytes], socket.socket]:
        join_fds = self.cgroup.join_fds() if self.cgroup else []
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            argv, extra, self.config = self._command(join_fds)
            with open(self.err_path, "wb") as err:
                proc = subprocess.Popen(
                    argv,
                    stdin=theirs.fileno(),
                    stdout=theirs.fileno(),
                    stderr=err,
                    pass_fds=join_fds,
                    start_new_session=True,
                    cwd="/",
                    **extra,
                )
        finally:
            theirs.close()
            for fd in join_fds:
                os.close(fd)
        ready = self._receive(mine, START_TIMEOUT_S)
        if ready is None or ready[0].get("ready") is not True:
            self._kill(proc)
            mine.close()
            raise InfraError(
                f"the code sandbox ({self.setup.isolation}) did not start: {self._err()}"
            )
        self._check_uid(proc, ready[0])
        return proc, mine

    def _check_uid(self, proc: subprocess.Popen[bytes], ready: dict[str, Any]) -> None:
        """Host-side proof that bwrap under root, and the server in it, run as the worker's
        own uid, never as root."""
        if self.setup.isolation != "bwrap" or self.uids is None:
            return
        owners = {os.stat(f"/proc/{pid}").st_uid for pid in descendants(proc.pid)}
        if owners != {self.uids.worker} or ready.get("uid") == 0:
            self._kill(proc)
            raise InfraError(f"the bwrap sandbox runs as host uids {owners}, not its own")

    def _err(self) -> str:
        try:
            with open(self.err_path, "rb") as handle:
                text = handle.read()[-ERR_TAIL:].decode("utf-8", "replace").strip()
        except OSError:
            text = ""
        return text.splitlines()[-1] if text else "no error output"

    @staticmethod
    def _receive(sock: socket.socket, timeout_s: float) -> tuple[dict[str, Any], bytes] | None:
        """One message: ({"ready": ...} or a job header, the raw output tail)."""
        if not select.select([sock], [], [], max(0.0, timeout_s))[0]:
            return None
        try:
            data = sock.recv(REPLY_MAX)
        except OSError:
            return None
        if not data:
            return None
        try:
            if data.startswith(b"{"):  # the ready and the clean-up messages
                message, tail = json.loads(data), b""
            else:
                size = int.from_bytes(data[:4], "big")
                message, tail = json.loads(data[4 : 4 + size]), data[4 + size :]
        except ValueError:
            return None
        return (message, tail) if isinstance(message, dict) else None

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()

    # ------------------------------------------------------------------------------ jobs
    def run(self, code: dict[str, str], tests: dict[str, str]) -> Outcome:
        fds = [sealed(code), sealed(tests)]
        verdict_r, verdict_w = os.pipe()
        oom_before = self.cgroup.oom_kills() if self.cgroup else 0
        try:
            socket.send_fds(self.sock, [b"job"], [*fds, verdict_w])
        except OSError:
            reply = None
        else:
            reply = self._receive(self.sock, self.limits.timeout_s + GRACE_S)
        finally:
            for fd in (*fds, verdict_w):
                os.close(fd)
        verdict = self._drain(verdict_r)
        if reply is None:  # died (the sample killed it) or hung past the backstop
            timed_out = self.proc.poll() is None
            self.restart()
            return Outcome(False, "timeout" if timed_out else "the sandbox worker was killed")
        header, tail = reply
        oom = self.cgroup is not None and self.cgroup.oom_kills() > oom_before
        result = outcome(header, verdict, tail, self.config, oom)
        cleaned = self._receive(self.sock, CLEANUP_TIMEOUT_S)
        clean = cleaned is not None and "unclean" in cleaned[0] and not cleaned[0]["unclean"]
        if not clean or (self.cgroup and self.cgroup.pids()):
            self.restart()  # never reuse a worker whose state the job may have changed
        return result

    @staticmethod
    def _drain(fd: int) -> bytes:
        """What the checker wrote (it has exited: the data is there or never will be)."""
        os.set_blocking(fd, False)
        try:
            return os.read(fd, 1 << 16)
        except BlockingIOError:
            return b""
        finally:
            os.close(fd)

    def restart(self) -> None:
        self._stop()
        self.restarts += 1
        remove_tree(self.tmp)
        os.makedirs(self.tmp, mode=0o700, exist_ok=True)
        self.proc, self.sock = self._start()

    def _stop(self) -> None:
        self._kill(self.proc)
        self.sock.close()
        if self.cgroup:
            self.cgroup.kill()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)  # the server sees EOF and exits
        deadline = time.monotonic() + 2.0
        while self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stop()
        self._cleanup()

    def _cleanup(self) -> None:
        """Host-side removal of what the worker had; never fails the batch."""
        if self.cgroup:
            self.cgroup.close()
        for path in (self.tmp, self.err_path):
            with contextlib.suppress(OSError):
                remove_tree(path)
