"""How one sandbox worker starts: the server program, its config, and bwrap's or the jail's setup.

The server is `python -I -S -c <bootstrap> <config>`: the bootstrap installs the runtime
modules (runtime/*.py, standard library only) from their source text and calls the
server's main. Per isolation level and host user (README's sandbox section has the
table of what each guarantees):

- bwrap as root: bubblewrap itself runs as the worker's own unprivileged host uid, so the
  sandbox user maps to it (never to host root) and RLIMIT_NPROC applies; the Python
  installation is bound from a view every uid can read (interpreter.py).
- bwrap as a user: bubblewrap runs as that user (the sandbox user maps to it).
- rlimits as root: the server builds the jail (runtime/jail.py) where the kernel allows
  (else runs from the readable Python view); candidate and checker each drop to an
  unprivileged uid of their own.
- rlimits as a user: candidate and checker run as that user.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalspec.errors import InfraError
from evalspec.scoring.sandbox.interpreter import (
    python_executable,
    python_prefix,
    reachable_prefix,
)
from evalspec.scoring.sandbox.limits import Limits

RUNTIME = ("proc", "wire", "fs", "jail", "candidate", "checker", "server")  # import order
PACKAGE = "evalspec.scoring.sandbox.runtime"
SERVER_MARK = "In-sandbox fork server"
SANDBOX_UID = 1000  # the sandbox user's uid inside bubblewrap's user namespace
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
PROC_COVERS = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")
WORK = "/tmp/work"


@functools.cache
def bootstrap() -> str:
    """The `-c` program: define the runtime modules from source, run the server."""
    here = Path(__file__).with_name("runtime")
    sources = [(f"{PACKAGE}.{name}", (here / f"{name}.py").read_text()) for name in RUNTIME]
    return "\n".join(
        [
            f'"""{SERVER_MARK} (evalspec code_exec): runtime modules from source."""',
            "import json, sys, types",
            "for name in ('evalspec', 'evalspec.scoring', 'evalspec.scoring.sandbox',",
            f"             {PACKAGE!r}):",
            "    sys.modules[name] = types.ModuleType(name)",
            "    sys.modules[name].__path__ = []",
            f"for name, source in {sources!r}:",
            "    module = sys.modules[name] = types.ModuleType(name)",
            "    module.__file__ = '<' + name + '>'",
            "    exec(compile(source, module.__file__, 'exec'), module.__dict__)",
            f"sys.modules['{PACKAGE}.server'].main(json.loads(sys.argv[1]))",
        ]
    )


@dataclass(frozen=True)
class Uids:
    """Host uids of one worker under root: `worker` runs bwrap (bwrap) or the candidate
    (rlimits); `checker` runs the rlimits checker."""

    worker: int
    checker: int


def system_binds() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(binds, symlinks) of the OS directories: merged-/usr links stay links."""
    binds, links = [], []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            links.append((os.readlink(path), path))
        elif os.path.isdir(path):
            binds.append((path, path))
    prefix = python_prefix()
    if not any(prefix == d or prefix.startswith(d + "/") for d in SYSTEM_DIRS):
        binds.append((prefix, prefix))  # e.g. pyenv under $HOME: only the installation
    return binds, links


def server_env() -> dict[str, str]:
    """The environment sandbox processes start with: nothing of the host's but the
    library path a Python may need to find libpython."""
    env = {"LANG": "C.UTF-8", "HOME": WORK, "PATH": "/usr/bin:/bin"}
    if os.environ.get("LD_LIBRARY_PATH"):
        env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    return env


def bwrap_argv(bwrap: str, limits: Limits, as_root: bool) -> list[str]:
    """bwrap's arguments up to and excluding the command it runs."""
    binds, links = system_binds()
    system: list[str] = []
    for target, path in links:
        system += ["--symlink", target, path]
    for source, path in binds:
        if as_root and path == python_prefix():
            source = reachable_prefix()  # bwrap runs unprivileged: a view it can read
        system += ["--ro-bind", source, path]
    proc = ["--proc", "/proc"]
    for path in PROC_COVERS:
        proc += ["--ro-bind-try", path, path]
    env = [arg for name, value in server_env().items() for arg in ("--setenv", name, value)]
    return [
        bwrap,
        # not the cgroup namespace: a candidate joins its job cgroup through a descriptor
        # opened outside, which kernels before 5.16 refuse from another cgroup namespace
        "--unshare-user",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--disable-userns",  # no nested user namespace: no capabilities anywhere inside
        "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--cap-drop", "ALL",
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--clearenv",
        *env,
        *system,
        *proc,
        "--dev", "/dev",
        "--size", str(limits.shm_bytes), "--tmpfs", "/dev/shm",
        "--remount-ro", "/dev",
        "--size", str(limits.tmpfs_bytes), "--tmpfs", "/tmp",
        "--remount-ro", "/",
        "--chdir", "/tmp",
    ]  # fmt: skip


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise InfraError("bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)")
    return path


def server_command(python: str, config: dict[str, Any]) -> list[str]:
    return [python, "-I", "-S", "-c", bootstrap(), json.dumps(config)]


def base_config(limits: Limits, join_fds: list[int]) -> dict[str, Any]:
    return {
        **limits.server_config(),
        "cgroup_fds": join_fds,
        "jail": None,
        "candidate_uid": None,
        "checker_uid": None,
        "ipc_per_job": False,
        "sweep": [],
        "sysv": False,
        "keyrings": False,
    }


def bwrap_config(limits: Limits, join_fds: list[int]) -> dict[str, Any]:
    return base_config(limits, join_fds) | {
        "work": WORK,
        "wipe": ["/tmp", "/dev/shm"],
        "kill_scope": "namespace",
        "details": "full",
        "sysv": True,
        "keyrings": True,
    }


def jail_config(limits: Limits, join_fds: list[int], uids: Uids, root: str) -> dict[str, Any]:
    binds, links = system_binds()
    return base_config(limits, join_fds) | {
        "jail": {
            "root": root,
            "binds": binds,
            "links": links,
            "tmp_bytes": limits.tmpfs_bytes,
            "shm_bytes": limits.shm_bytes,
        },
        "work": WORK,
        "wipe": ["/tmp", "/dev/shm"],
        "candidate_uid": uids.worker,
        "checker_uid": uids.checker,
        "kill_scope": "uid",
        "ipc_per_job": True,
        "keyrings": True,
        "details": "full",
    }


def plain_config(
    limits: Limits, join_fds: list[int], uids: Uids | None, tmp: str
) -> dict[str, Any]:
    """rlimits without a jail: the host's filesystem, work dir under the worker's tmp."""
    config = base_config(limits, join_fds) | {
        "work": os.path.join(tmp, "work"),
        "wipe": [tmp],
        "kill_scope": "tree",
        "details": "type",  # a sample could read host files: no free text leaves
    }
    if uids is not None:
        config |= {
            "candidate_uid": uids.worker,
            "checker_uid": uids.checker,
            "kill_scope": "uid",
            "sweep": ["/tmp", "/var/tmp", "/dev/shm"],
            "sysv": True,
            "keyrings": True,
        }
    return config


def plain_python(as_root: bool) -> str:
    """The interpreter rlimits runs without a jail: as root, from the view every uid reads."""
    if not as_root:
        return python_executable()
    relative = os.path.relpath(python_executable(), python_prefix())
    return os.path.join(reachable_prefix(), relative)
