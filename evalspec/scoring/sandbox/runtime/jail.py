"""The rlimits fallback's jail when evalspec runs as root: the worker's own filesystem view.

Without user namespaces (no bubblewrap) root can still build what bubblewrap builds: the
server unshares mount, network, IPC and UTS namespaces, mounts an empty tmpfs root with
only the OS directories and the Python installation bound read-only, a `/dev` with the
harmless devices, a `/proc` that hides other users' processes, size-capped `/tmp` and
`/dev/shm`, remounts the root read-only and chroots into it. Candidates and checkers then
drop to unprivileged uids of their own: the Python installation is reachable for them
(its parent directories are the jail's, mode 0755) whatever the host's permissions are.
"""

from __future__ import annotations

import ctypes
import os
import socket

LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET = 0x20000, 0x4000000, 0x8000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
DEVICES = ("null", "zero", "full", "random", "urandom")
ROOT_OPTIONS = "mode=0755,size=1m"
DEV_OPTIONS = "mode=0755,size=64k"


def check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _c(value: str | None) -> bytes | None:
    return None if value is None else value.encode()


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    check(LIBC.mount(_c(source), _c(target), _c(fstype), flags, _c(data)), f"mount {target}")


def unshare(flags: int) -> None:
    check(LIBC.unshare(flags), "unshare")


def bind_read_only(source: str, target: str, device_nodes: bool = False) -> None:
    flags = MS_NOSUID | (0 if device_nodes else MS_NODEV)
    mount(source, target, None, MS_BIND)
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags)


def tmpfs(target: str, size: int, mode: str = "1777") -> None:
    os.makedirs(target, mode=0o755, exist_ok=True)
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode},size={size}")


def enter(
    root: str,
    binds: list[tuple[str, str]],
    links: list[tuple[str, str]],
    tmp_bytes: int,
    shm_bytes: int,
) -> None:
    """Build the jail on the empty root-owned directory `root` and chroot into it.

    `binds`: (host path, path in the jail) bound read-only; `links`: (target, path in the
    jail) symlinks, e.g. merged-/usr's /lib -> usr/lib."""
    unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing propagates back to the host
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, ROOT_OPTIONS)
    for target, path in links:
        os.symlink(target, root + path)
    for source, path in binds:
        os.makedirs(root + path, mode=0o755, exist_ok=True)
        bind_read_only(source, root + path)
    dev = root + "/dev"
    os.makedirs(dev, mode=0o755)
    mount("tmpfs", dev, "tmpfs", MS_NOSUID, DEV_OPTIONS)
    for name in DEVICES:
        open(f"{dev}/{name}", "wb").close()
        bind_read_only(f"/dev/{name}", f"{dev}/{name}", device_nodes=True)
    for index, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{index}", f"{dev}/{name}")
    os.symlink("/proc/self/fd", f"{dev}/fd")
    tmpfs(dev + "/shm", shm_bytes)
    mount(None, dev, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID, DEV_OPTIONS)
    os.makedirs(root + "/proc", mode=0o755)
    try:  # other users' processes invisible, and no /proc/sys at all
        mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "hidepid=invisible,subset=pid")  # fmt: skip
    except OSError:  # kernels before 5.8
        mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    tmpfs(root + "/tmp", tmp_bytes)
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, ROOT_OPTIONS)
    os.chroot(root)
    os.chdir("/")
    socket.sethostname("sandbox")  # its own UTS namespace
