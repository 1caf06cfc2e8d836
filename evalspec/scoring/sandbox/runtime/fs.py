"""Emptying and removing directory trees of any depth: iterative, fd-relative, no recursion.

A sample can leave a tree thousands of levels deep (deeper than the recursion limit and
longer than PATH_MAX) and directories without permissions. The walk holds one directory
fd at a time and a stack of names; it climbs back through `..`, checking that it lands on
the directory it came from (nothing runs in the tree any more while it is cleaned).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _identity(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _retry_writable(fd: int, action: Callable[..., None], name: str) -> None:
    """`action(name, dir_fd=fd)`; on EACCES/EPERM make the directory writable (its owner
    may) and retry once."""
    try:
        action(name, dir_fd=fd)
    except FileNotFoundError:
        return
    except PermissionError:
        os.fchmod(fd, stat.S_IRWXU)
        with contextlib.suppress(FileNotFoundError):
            action(name, dir_fd=fd)


def _unlink_files(fd: int) -> list[str]:
    """Unlink every non-directory entry of the directory `fd`; the names of its subdirectories."""
    subdirs: list[str] = []
    with os.scandir(fd) as entries:
        names = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
    for name, is_dir in names:
        if is_dir:
            subdirs.append(name)
        else:
            _retry_writable(fd, os.unlink, name)
    return subdirs


def _open_dir(name: str, dir_fd: int | None = None) -> int | None:
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except PermissionError:  # a directory without r/x for its owner
        os.chmod(name, stat.S_IRWXU, dir_fd=dir_fd)
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)


def clear_dir(path: str) -> None:
    """Remove everything inside `path` (not `path` itself); symlinks are removed, not followed."""
    top = _open_dir(path)
    if top is None:
        raise FileNotFoundError(path)
    fd = top
    # ancestors of the current directory: (its name in the parent, the parent's pending
    # subdirectories, the parent's identity)
    frames: list[tuple[str, list[str], tuple[int, int]]] = []
    try:
        pending = _unlink_files(fd)
        while True:
            if pending:
                name = pending.pop()
                child = _open_dir(name, fd)
                if child is None:
                    continue
                frames.append((name, pending, _identity(fd)))
                os.close(fd)
                fd = child
                pending = _unlink_files(fd)
                continue
            if not frames:
                return
            name, pending, parent_id = frames.pop()
            parent = os.open("..", DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            if _identity(fd) != parent_id:
                raise OSError(f"a directory under {path} moved while it was being removed")
            _retry_writable(fd, os.rmdir, name)
    finally:
        os.close(fd)


def remove_tree(path: str) -> None:
    """Remove `path` and everything under it; a missing path is fine."""
    with contextlib.suppress(FileNotFoundError):
        if os.path.isdir(path) and not os.path.islink(path):
            clear_dir(path)
            os.rmdir(path)
        else:
            os.unlink(path)
