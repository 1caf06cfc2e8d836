"""The Python that runs sandboxed code: the base interpreter, and a view of it any uid can read.

Sandboxed code runs as an unprivileged uid, which must be able to read the interpreter
and its standard library. A Python under a private home (pyenv under /root, mode 0700)
is not readable for it: as root, evalspec then builds a link farm of the installation
(hard links where the filesystem allows, else copies; no site-packages, no test suite)
under /var/cache/evalspec, owned by root and writable by nobody else, once per
installation. bwrap binds it at the installation's own path; the rlimits fallback
without a jail runs the interpreter from it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
import shutil
import stat
import sys
import sysconfig
from pathlib import Path

from evalspec.errors import InfraError
from evalspec.scoring.sandbox.runtime.fs import remove_tree

CACHE_ROOT = Path("/var/cache/evalspec/python")
SKIP = {"site-packages", "test", "dist-packages"}


def python_executable() -> str:
    """The base interpreter (not a venv's): it runs with -I -S and the standard library only."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def python_prefix() -> str:
    return os.path.realpath(sys.base_prefix)


def world_reachable(path: str) -> bool:
    """Whether any uid can reach and read `path` (every ancestor searchable by others)."""
    target = Path(path)
    for directory in target.parents:
        if not directory.stat().st_mode & stat.S_IXOTH:
            return False
    mode = target.stat().st_mode
    return bool(mode & stat.S_IROTH) and (not stat.S_ISDIR(mode) or bool(mode & stat.S_IXOTH))


def _mirrored() -> list[str]:
    """Paths under the prefix the sandbox needs: the executable, the standard library and
    the shared libpython, relative to the prefix."""
    prefix = python_prefix()
    wanted = [python_executable(), os.path.realpath(sysconfig.get_path("stdlib"))]
    libdir = sysconfig.get_config_var("LIBDIR")
    if isinstance(libdir, str) and os.path.isdir(libdir):
        wanted += [str(p) for p in Path(libdir).glob("libpython*.so*")]
    outside = [p for p in wanted if not p.startswith(prefix + "/")]
    if outside:
        raise InfraError(
            f"the code sandbox cannot make Python readable for its unprivileged user: "
            f"{outside[0]} lies outside the installation {prefix}; install Python where "
            "every user can read it (e.g. /usr or /opt)"
        )
    return [os.path.relpath(p, prefix) for p in wanted]


def _link_or_copy(source: str, target: str) -> None:
    """A hard link where it shares the original's world-readable mode, else a readable copy."""
    info = os.lstat(source)
    if stat.S_ISLNK(info.st_mode) or info.st_mode & stat.S_IROTH:
        with contextlib.suppress(OSError):
            os.link(source, target, follow_symlinks=False)
            return
    shutil.copy2(source, target, follow_symlinks=False)
    if not stat.S_ISLNK(info.st_mode):
        executable = 0o111 if info.st_mode & stat.S_IXUSR else 0
        os.chmod(target, stat.S_IMODE(info.st_mode) | 0o444 | executable)


def _makedirs(path: str) -> None:
    """Create `path` and its missing parents, each mode 0755 whatever the umask."""
    missing, path = [], os.path.normpath(path)
    while not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        os.mkdir(directory)
        os.chmod(directory, 0o755)


def _mirror(source: str, target: str) -> None:
    """Mirror a file, symlink or directory tree (iteratively) with 0755 directories."""
    if not os.path.isdir(source) or os.path.islink(source):
        _makedirs(os.path.dirname(target))
        _link_or_copy(source, target)
        return
    for root, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if not (root == source and d in SKIP)]
        inside = os.path.join(target, os.path.relpath(root, source))
        _makedirs(inside)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            _link_or_copy(os.path.join(root, name), os.path.join(inside, name))


def _trusted(path: Path) -> bool:
    """Owned by root and writable by nobody else, down from /."""
    for directory in (path, *path.parents):
        info = directory.lstat()
        if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
    return True


@functools.cache
def reachable_prefix() -> str:
    """A directory with this Python's executable, standard library and libpython under
    their usual relative paths that every uid can read (see the module docstring)."""
    prefix = python_prefix()
    parts = _mirrored()
    if all(world_reachable(os.path.join(prefix, p)) for p in parts):
        return prefix
    if os.geteuid() != 0:
        raise InfraError(f"the code sandbox cannot read this Python installation ({prefix})")
    stamp = [prefix, sys.version]
    for part in parts:
        info = os.stat(os.path.join(prefix, part))
        stamp += [part, str(info.st_ino), str(info.st_mtime_ns)]
    farm = CACHE_ROOT / hashlib.sha256("\0".join(stamp).encode()).hexdigest()[:16]
    if not farm.exists():
        CACHE_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
        building = f"{farm}.building-{secrets.token_hex(4)}"
        try:
            _makedirs(building)
            for part in parts:
                _mirror(os.path.join(prefix, part), os.path.join(building, part))
            with contextlib.suppress(OSError):  # another process finished first: use its
                os.rename(building, farm)
        finally:
            remove_tree(building)
    if not _trusted(farm):
        raise InfraError(f"the sandbox's Python copy {farm} is not root-owned and private")
    return str(farm)
