"""Host side of the sandbox: a warm pool of fork servers, one per worker, run in parallel.

Each worker is one long-lived server process (see server.py) inside bubblewrap or under
the rlimits fallback; jobs go to free workers from a thread pool. A worker that dies or
overruns its deadline (the sample killed it, or it hung) is killed with its whole
process group, the job scores as a failure, and a fresh worker takes its place.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from evalspec.errors import InfraError
from evalspec.scoring.sandbox.isolation import (
    Isolation,
    bwrap_argv,
    bwrap_path,
    is_root,
    python_executable,
    rlimits_drops_uid,
    server_source,
)
from evalspec.scoring.sandbox.limits import Limits

START_TIMEOUT_S = 30.0
GRACE_S = 5.0  # the server enforces the deadline; this is the host's backstop
ERR_TAIL = 2000


@dataclass(frozen=True)
class CodeJob:
    """One sample: untrusted candidate code, and the trusted prelude + test that judge it."""

    code: str
    entry_point: str
    prelude: str
    test: str


@dataclass(frozen=True)
class Outcome:
    passed: bool
    detail: str | None = None


def _frame(payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload).encode()
    return len(data).to_bytes(4, "big") + data


class _Worker:
    """One fork server process and its pipes."""

    def __init__(self, isolation: Isolation, limits: Limits, index: int, uid_base: int) -> None:
        self.isolation, self.limits, self.index, self.uid_base = isolation, limits, index, uid_base
        self.tmp = tempfile.mkdtemp(prefix="evalspec-sandbox-")
        self.err_path = self.tmp + ".err"
        try:
            self.proc = self._start()
        except BaseException:
            self._cleanup_tmp()
            raise

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = {**self.limits.server_config()}
        if self.isolation == "bwrap":
            config.update(
                work="/tmp/work",
                wipe="/tmp",
                candidate_uid=None,
                netns=False,
                nproc_shared=False,
                kill_scope="namespace",
                details="full",
            )
        else:
            drop = rlimits_drops_uid()
            os.chmod(self.tmp, 0o711)  # a dropped uid may enter its work dir, not list it
            config.update(
                work=os.path.join(self.tmp, "work"),
                wipe=self.tmp,
                candidate_uid=self.uid_base + self.index if drop else None,
                netns=is_root(),
                nproc_shared=not drop,
                kill_scope="uid" if drop else "tree",
                details="type",  # a sample could read host files: no free text leaves
            )
        return config

    def _start(self) -> subprocess.Popen[bytes]:
        command = [python_executable(), "-I", "-S", "-c", server_source()]
        command.append(json.dumps(self._config()))
        if self.isolation == "bwrap":
            command = [*bwrap_argv(bwrap_path(), self.limits.tmpfs_bytes), *command]
        with open(self.err_path, "wb") as err:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                start_new_session=True,
                cwd=self.tmp,
            )
        if self._read(proc, START_TIMEOUT_S) is None:
            self._kill(proc)
            raise InfraError(f"the code sandbox ({self.isolation}) did not start: {self._err()}")
        return proc

    def _err(self) -> str:
        try:
            with open(self.err_path, "rb") as handle:
                text = handle.read()[-ERR_TAIL:].decode("utf-8", "replace").strip()
        except OSError:
            text = ""
        return text.splitlines()[-1] if text else "no error output"

    @staticmethod
    def _read(proc: subprocess.Popen[bytes], timeout_s: float) -> dict[str, Any] | None:
        assert proc.stdout is not None
        fd, deadline, data, need = proc.stdout.fileno(), time.monotonic() + timeout_s, b"", 4
        while len(data) < need:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, need - len(data))
            if not chunk:
                return None
            data += chunk
            if need == 4 and len(data) == 4:
                need = 4 + int.from_bytes(data, "big")
        value = json.loads(data[4:])
        return value if isinstance(value, dict) else None

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def run(self, job: CodeJob) -> Outcome:
        proc = self.proc
        assert proc.stdin is not None
        try:
            proc.stdin.write(_frame({"code": job.code, "entry_point": job.entry_point}))
            proc.stdin.write(_frame({"prelude": job.prelude, "test": job.test}))
            proc.stdin.flush()
        except OSError:
            reply = None
        else:
            reply = self._read(proc, self.limits.timeout_s + GRACE_S)
        if reply is None:  # died (the sample killed it) or hung past the backstop
            timed_out = proc.poll() is None
            self._restart()
            return Outcome(False, "timeout" if timed_out else "the sandbox worker was killed")
        return Outcome(bool(reply.get("passed") is True), _text(reply.get("detail")))

    def _restart(self) -> None:
        self._kill(self.proc)
        self._cleanup_tmp()
        os.makedirs(self.tmp, exist_ok=True)
        self.proc = self._start()

    def _cleanup_tmp(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(self.err_path)

    def close(self) -> None:
        proc = self.proc
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2.0)
        self._kill(proc)
        self._cleanup_tmp()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


class Sandbox:
    """A pool of `workers` warm fork servers; `run` scores jobs in parallel, in input order."""

    def __init__(self, isolation: Isolation, limits: Limits, workers: int) -> None:
        self.isolation, self.limits = isolation, limits
        self.workers = max(1, workers)
        uid_base = 0x40000000 + secrets.randbelow(1 << 20) * 256  # unused uids, this pool's own
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        # one executor for the pool's life: workers are started (and restarted) on its
        # threads, and the parent-death signal of a child fires when its creating thread ends
        self._threads = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sandbox")
        try:
            for worker in self._threads.map(
                lambda i: _Worker(isolation, limits, i, uid_base), range(self.workers)
            ):
                self._all.append(worker)
                self._idle.put(worker)
        except BaseException:
            self.close()
            raise

    def _run_one(self, job: CodeJob) -> Outcome:
        worker = self._idle.get()
        try:
            return worker.run(job)
        finally:
            self._idle.put(worker)

    def run(self, jobs: Sequence[CodeJob]) -> list[Outcome]:
        return list(self._threads.map(self._run_one, jobs))

    def close(self) -> None:
        for worker in self._all:
            worker.close()
        self._all.clear()
        self._threads.shutdown(wait=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
