"""Red team, host effects: samples that try to reach or change the machine they run on.

Each attack fails, leaves the host as it was (files, processes, SysV IPC, /dev/shm,
hostname, sysctls, memory) and the canonical solution still passes in the same worker
afterwards. Payloads that would harm the host if the sandbox failed do nothing when they
find themselves root (test_samples_never_run_as_root proves they never are).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import psutil
import pytest
from sandbox_cases import (
    CANONICAL,
    CGROUP_MEMORY,
    CLAIMS,
    MARK,
    MODES,
    ROOMY,
    ROOT,
    SYSV_KEY,
    USED_UIDS,
    attack,
    job,
    level,
    require,
    run_jobs,
    world_readable_dir,
)

from evalspec.scoring.sandbox import Limits, Outcome, Sandbox, cgroups
from evalspec.scoring.sandbox.runtime.fs import remove_tree

pytestmark = [
    pytest.mark.usefixtures("no_leftovers", "host_untouched"),
    pytest.mark.parametrize("mode", MODES),
]

KILL = r"""
import os, signal

def add(a, b):
    if os.geteuid() == 0:  # a failed sandbox: do no harm to the host
        return None
    for pid in [CANARY, os.getppid()] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
        if pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    os.kill(-1, signal.SIGKILL)
    return None
"""
NETWORK = r"""
import ctypes, os, socket

def reach():
    if os.geteuid() != 0:  # setns needs privileges it must not have
        libc = ctypes.CDLL(None, use_errno=True)
        for path in ("/proc/1/ns/net", f"/proc/{os.getppid()}/ns/net"):
            try:
                fd = os.open(path, os.O_RDONLY)
                libc.setns(fd, 0x40000000)
                os.close(fd)
            except OSError:
                pass
    reached = []
    for family, address in ((socket.AF_INET, ("127.0.0.1", PORT)),
                            (socket.AF_UNIX, PATH), (socket.AF_UNIX, ABSTRACT)):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.5)
                sock.connect(address)
                sock.sendall(b"leak")
                reached.append(address)
        except OSError:
            pass
    return reached

def add(a, b):
    return a + b if reach() else None
"""
DAEMON = r"""
import os, signal, time

def daemon(program):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                signal.signal(sig, signal.SIG_IGN)
            if program:
                try:
                    os.execv(program[0], program)
                except OSError:
                    pass
            while True:  # stays Python: non-dumpable, the server's command line
                time.sleep(1)
        os._exit(0)

def add(a, b):
    daemon(PROGRAM)
    return None
"""
PROC_SYS = r"""
import os

def add(a, b):
    opened = []
    for name in ("kernel/core_pattern", "kernel/modprobe", "kernel/hostname", "vm/drop_caches",
                 "kernel/sysrq", "net/ipv4/ip_forward", "fs/suid_dumpable"):
        try:
            fd = os.open("/proc/sys/" + name, os.O_WRONLY)  # opened for writing, never written
        except OSError:
            continue
        os.close(fd)
        opened.append(name)
    return a + b if opened else None
"""
NPROC = r"""
import os, time

def add(a, b):
    made = 0
    for _ in range(64):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(3)
            os._exit(0)
        made += 1
    return a + b if made > LIMIT else None
"""
# state one job plants and the next job (same worker) looks for: files in every writable
# place, SysV shared memory/semaphores/queues, a POSIX message queue, the hostname, a key
# in the user keyring
STATE = r"""
import ctypes, os, platform, socket
NAME = "MARK"
KEY = SYSV_KEY
DIRS = ["/tmp", os.getcwd(), "/dev/shm", "/var/tmp", "/", "/dev", os.path.expanduser("~")]
libc = ctypes.CDLL(None, use_errno=True)
ADD_KEY, REQUEST_KEY = {"x86_64": (248, 249), "aarch64": (217, 218)}.get(platform.machine(), (0, 0))

def plant():
    if os.geteuid() == 0:  # a failed sandbox: do no harm to the host
        return
    for directory in DIRS:
        try:
            with open(os.path.join(directory, NAME), "w") as handle:
                handle.write("x")
        except OSError:
            pass
    libc.shmget(KEY, 4096, 0o1666)
    libc.semget(KEY, 1, 0o1666)
    libc.msgget(KEY, 0o1666)
    libc.mq_open(("/" + NAME).encode(), os.O_CREAT | os.O_RDWR, 0o600, None)
    try:
        socket.sethostname(NAME)
    except OSError:
        pass
    if ADD_KEY:
        libc.syscall(ADD_KEY, b"user", NAME.encode(), b"1", 1, -4)

def find():
    found = [d for d in DIRS if os.path.exists(os.path.join(d, NAME))]
    found += [k for k, f in (("shm", libc.shmget(KEY, 0, 0)), ("sem", libc.semget(KEY, 0, 0)),
                              ("msg", libc.msgget(KEY, 0))) if f >= 0]
    if libc.mq_open(("/" + NAME).encode(), os.O_RDONLY) >= 0:
        found.append("mqueue")
    if socket.gethostname() == NAME:
        found.append("hostname")
    if REQUEST_KEY and libc.syscall(REQUEST_KEY, b"user", NAME.encode(), None, 0) >= 0:
        found.append("keyring")
    return found

def add(a, b):
    if ACTION == "plant":
        plant()
        return None
    return a + b if find() else None
"""
FILL = r"""
import os

def add(a, b):
    total = 0
    for directory in (os.getcwd(), "/tmp", "/dev/shm", "/", "/dev", "/var/tmp"):
        for index in range(2048):
            try:
                with open(os.path.join(directory, f"MARK-{index}"), "wb") as handle:
                    handle.write(b"x" * 65536)
            except OSError:
                break
            total += 65536
    return a + b if total > 96 << 20 else None
"""
MEMORY = r"""
import os, select, time

def add(a, b):
    read_end, write_end = os.pipe()
    for _ in range(4):
        if os.fork() == 0:
            block = bytearray(150 << 20)
            for index in range(0, len(block), 4096):
                block[index] = 1
            os.write(write_end, b"1")
            time.sleep(4)
            os._exit(0)
    os.close(write_end)
    held, deadline = b"", time.monotonic() + 3.0
    while len(held) < 4:
        if not select.select([read_end], [], [], max(0, deadline - time.monotonic()))[0]:
            break
        chunk = os.read(read_end, 4)
        if not chunk:
            break
        held += chunk
    return a + b if len(held) == 4 else None
"""
DEEP = r"""
import os

def add(a, b):
    for base in BASES:
        try:
            fd = os.open(base, os.O_RDONLY)
            name = "MARK-deep"
            for _ in range(DEPTH):
                os.mkdir(name, dir_fd=fd)
                child = os.open(name, os.O_RDONLY, dir_fd=fd)
                os.close(fd)
                fd, name = child, "d"
            os.fchmod(fd, 0)
            os.close(fd)
        except OSError:
            pass
    return None
"""


@contextlib.contextmanager
def canary_process() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "60"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_killing_host_processes_fails_and_they_live_on(mode: str) -> None:
    require(mode, "host processes")
    with canary_process() as canary:
        attack(mode, KILL.replace("CANARY", str(canary.pid)))
        assert canary.poll() is None
    assert os.getppid() > 1


def test_sandboxed_processes_run_as_their_own_uids_seen_from_the_host(mode: str) -> None:
    """While a sample runs, every process below the worker's own (bwrap, or the rlimits
    server, which is trusted and never runs sample code) has no uid or gid 0 and, as root,
    only the pool's uids."""
    code = "import os, time\ndef add(a, b):\n    os.fork()\n    time.sleep(2.0)\n    return None\n"
    seen: dict[int, tuple[int, ...]] = {}
    with level(mode) as isolation_level, Sandbox(isolation_level, ROOMY, 1) as sandbox:
        USED_UIDS.update(sandbox.uids)
        [server] = sandbox.worker_pids()
        worker = threading.Thread(target=sandbox.run, args=([job(code)],))
        worker.start()
        # from the moment the sample's child exists (candidate, its child, checker: set-up
        # is over) until the job ends; clean-up helpers come after the sample's processes
        found: dict[int, tuple[int, ...]] = {}
        while worker.is_alive():
            found = {}
            for proc in psutil.Process(server).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    found[proc.pid] = (*proc.uids(), *proc.gids())
            if len(found) >= 3:
                seen.update(found)
            time.sleep(0.05)
        worker.join()
        uids = sandbox.uids
    assert len(seen) >= 3, seen  # candidate, its child, checker
    for ids in seen.values():
        assert 0 not in ids, seen
        if ROOT:
            assert set(ids) <= uids, seen


def test_network_setns_loopback_and_host_sockets_are_unreachable(mode: str) -> None:
    require(mode, "network")
    directory = world_readable_dir()
    listeners = []
    try:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        path = str(directory / "host.sock")
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(path)
        os.chmod(path, 0o777)
        abstract_name = f"\0{MARK}-{secrets.token_hex(4)}"
        abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        abstract.bind(abstract_name)
        listeners = [tcp, unix, abstract]
        for listener in listeners:
            listener.listen(4)
            listener.setblocking(False)
        code = (
            NETWORK.replace("PORT", str(tcp.getsockname()[1]))
            .replace("ABSTRACT", repr(abstract_name))
            .replace("PATH", repr(path))
        )
        attack(mode, code)
        for listener in listeners:
            with pytest.raises(BlockingIOError):
                listener.accept()
    finally:
        for listener in listeners:
            listener.close()
        remove_tree(str(directory))


@pytest.mark.parametrize("cgroup", [True, False], ids=["cgroup", "no-cgroup"])
def test_daemons_do_not_outlive_their_job_or_the_pool(
    mode: str, cgroup: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daemon in a new session that ignores signals and stays Python (non-dumpable, the
    server's command line), then one that execs sleep. Without the cgroup (which kills
    what is left after every job) the server has to find them itself."""
    if not cgroup:
        monkeypatch.setattr(cgroups, "available", lambda: ())
    seconds = f"{secrets.randbelow(10**6) + 10**6}.5"  # a command line only this test has

    def sleepers() -> list[psutil.Process]:
        found = []
        for proc in psutil.process_iter(["cmdline", "status"]):
            alive = proc.info["status"] != psutil.STATUS_ZOMBIE
            if proc.info["cmdline"] == ["/bin/sleep", seconds] and alive:
                found.append(proc)
        return found

    def pool_processes(uids: set[int]) -> set[int]:
        return {p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"].real in uids}

    with level(mode) as isolation_level, Sandbox(isolation_level, ROOMY, 1) as sandbox:
        USED_UIDS.update(sandbox.uids)
        workers = pool_processes(sandbox.uids)  # bwrap as root: bwrap and the server
        for program in ("None", f"['/bin/sleep', '{seconds}']"):
            [outcome] = sandbox.run([job(DAEMON.replace("PROGRAM", program))])
            assert not outcome.passed
            assert sleepers() == []  # right after the job, before the next one
            assert pool_processes(sandbox.uids) == workers, program
            assert sandbox.restarts == 0  # the server itself left nothing behind
        assert sandbox.run([job(CANONICAL)]) == [Outcome(True)]
    assert sleepers() == []


def test_proc_sys_cannot_be_opened_for_writing(mode: str) -> None:
    attack(mode, PROC_SYS)


def test_process_count_is_capped_for_the_whole_sample(mode: str) -> None:
    attack(mode, NPROC.replace("LIMIT", str(ROOMY.max_procs + 1)))


def test_state_left_by_one_job_is_gone_for_the_next(mode: str) -> None:
    require(mode, "shared state")
    state = STATE.replace("SYSV_KEY", str(SYSV_KEY)).replace(
        "MARK", f"{MARK}-{secrets.token_hex(4)}"
    )
    plant, find, canonical = run_jobs(
        mode,
        [job(f"ACTION = 'plant'\n{state}"), job(f"ACTION = 'find'\n{state}"), job(CANONICAL)],
    ).outcomes
    assert not plant.passed
    assert not find.passed, "state planted by one job was there for the next"
    assert canonical == Outcome(True)


def test_writable_places_are_small_and_capped(mode: str) -> None:
    require(mode, "capped writes")
    attack(mode, FILL.replace("MARK", MARK))


@pytest.mark.skipif(not CGROUP_MEMORY, reason="no memory cgroup here: memory is per process")
def test_memory_is_capped_across_the_processes_of_a_sample(mode: str) -> None:
    limits = Limits(timeout_s=5.0, memory_mib=256, max_procs=16, max_output_kib=64)
    with level(mode) as isolation_level, Sandbox(isolation_level, limits, 1) as sandbox:
        USED_UIDS.update(sandbox.uids)
        hostile, canonical = sandbox.run([job(MEMORY), job(CANONICAL)])
        peak = sandbox.peak_bytes()
    assert not hostile.passed
    assert canonical == Outcome(True)
    assert peak is not None and peak <= (256 << 20), peak


def test_deep_directory_trees_are_removed_without_failing_the_batch(mode: str) -> None:
    """5,000 levels in the sandbox's tmpfs; where the work dir is on the host's disk (rlimits
    without the jail) 1,500 once, past the recursion limit that broke the old clean-up,
    because every rmdir there can cost milliseconds (test_cleanup removes 5,000 levels)."""
    if mode in CLAIMS["capped writes"]:  # /tmp and /dev/shm are the sandbox's own tmpfs
        bases, depth, repeat = ["os.getcwd()", "'/tmp'", "'/dev/shm'"], 5000, 2
    else:
        bases, depth, repeat = ["os.getcwd()"], 1500, 1
    code = (
        DEEP.replace("BASES", f"[{', '.join(bases)}]")
        .replace("DEPTH", str(depth))
        .replace("MARK", MARK)
    )
    run = run_jobs(mode, [job(code), job(CANONICAL)] * repeat)
    assert [o.passed for o in run.outcomes] == [False, True] * repeat
    assert run.restarts == 0  # the worker cleaned up after itself and stayed in service


ENVIRON = r"""
import ctypes, os

def add(a, b):
    ctypes.CDLL(None).prctl(4, 1)  # dumpable again: its own /proc/self/environ opens
    texts = [repr(dict(os.environ))]
    for pid in ["self", "1", str(os.getppid())] + os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                texts.append(handle.read().decode("utf-8", "replace"))
        except OSError:
            pass
    return a + b if any("TOKEN" in text for text in texts) else None
"""


def test_the_hosts_environment_never_reaches_a_sample(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require(mode, "host processes")  # as a user, the user's own processes' environ is open
    token = f"{MARK}-{secrets.token_hex(8)}"
    monkeypatch.setenv("EVALSPEC_TEST_SECRET", token)  # e.g. an API key in CI
    attack(mode, ENVIRON.replace("TOKEN", token))
