"""The sandbox's parts on their own: tree removal, exception forwarding, verdicts, cgroups."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
from pathlib import Path

import pytest
from sandbox_cases import ROOT

from evalspec.scoring.sandbox import cgroups
from evalspec.scoring.sandbox.interpreter import python_executable, python_prefix, reachable_prefix
from evalspec.scoring.sandbox.outcome import exit_detail, outcome, parse_verdict
from evalspec.scoring.sandbox.runtime import fs
from evalspec.scoring.sandbox.runtime.wire import forwarded


def deep_tree(top: Path, depth: int) -> Path:
    """`top`/d/d/... `depth` levels (deeper than PATH_MAX and the recursion limit), files
    along the way, a symlink out, and the deepest level without any permission."""
    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    for level in range(depth):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = child
        if level % 1000 == 0:
            os.close(os.open("f", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd))
            os.symlink("/etc/hostname", "link", dir_fd=fd)
    os.fchmod(fd, 0)
    os.close(fd)
    return top


def test_a_5000_deep_tree_is_removed_without_recursion() -> None:
    top = deep_tree(Path("/dev/shm") / f"evalspec-deep-{secrets.token_hex(4)}", 5000)
    fs.remove_tree(str(top))
    assert not top.exists()
    assert Path("/etc/hostname").exists()  # symlinks are removed, never followed


@pytest.mark.skipif(not ROOT, reason="starting a process as another uid needs root")
def test_an_unprivileged_owner_removes_its_deep_tree_with_locked_directories() -> None:
    """Not root: the walk has to give itself back the permissions the sample took away."""
    uid = 0x30000000 + secrets.randbelow(1 << 20)
    top = Path("/dev/shm") / f"evalspec-deep-{secrets.token_hex(4)}"
    source = (Path(fs.__file__)).read_text()
    build = f"{source}\nimport sys\nfrom pathlib import Path\n" + _deep_tree_source()
    program = build + f"deep_tree(Path({str(top)!r}), 3000)\nremove_tree({str(top)!r})\n"
    python = os.path.join(reachable_prefix(), os.path.relpath(python_executable(), python_prefix()))
    done = subprocess.run(
        [python, "-I", "-S", "-c", program],
        user=uid,
        group=uid,
        extra_groups=[],
        cwd="/",
        env={"LD_LIBRARY_PATH": os.path.join(reachable_prefix(), "lib")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not top.exists()


def _deep_tree_source() -> str:
    import inspect

    return "import os\n" + inspect.getsource(deep_tree) + "\n"


def test_removing_a_missing_path_or_a_file_is_fine(tmp_path: Path) -> None:
    fs.remove_tree(str(tmp_path / "missing"))
    (tmp_path / "file").write_text("x")
    fs.remove_tree(str(tmp_path / "file"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    ["StopIteration", "StopAsyncIteration", "GeneratorExit", "KeyboardInterrupt", "SystemExit"],
)
def test_control_flow_exceptions_arrive_as_plain_runtime_errors(name: str) -> None:
    made = forwarded(name, "boom")
    assert isinstance(made, RuntimeError)
    assert not isinstance(made, StopIteration | StopAsyncIteration)
    assert (type(made).__name__, str(made)) == (name, "boom")


def test_ordinary_exceptions_keep_their_builtin_class_and_odd_ones_are_plain() -> None:
    assert type(forwarded("ValueError", "x")) is ValueError
    assert isinstance(forwarded("FileNotFoundError", "x"), OSError)
    odd = forwarded("UnicodeDecodeError", "x")  # its constructor wants five arguments
    assert type(odd).__name__ == "UnicodeDecodeError" and not isinstance(odd, UnicodeError)
    assert type(forwarded("Not An Identifier", "x")).__name__ == "Exception"
    assert type(forwarded(42, None)).__name__ == "Exception"


def frame(kind: str, detail: str | None) -> bytes:
    data = json.dumps([kind, detail]).encode()
    return len(data).to_bytes(4, "big") + data


def test_a_pass_needs_the_checkers_word_and_its_clean_exit() -> None:
    limits = {"output_bytes": 65536, "details": "full"}
    done = {"end": "checker", "checker": 0, "candidate": None}
    assert outcome(done, frame("pass", None), b"", limits, False).passed
    killed = {"end": "checker", "checker": signal.SIGKILL, "candidate": None}
    assert not outcome(killed, frame("pass", None), b"", limits, False).passed
    assert not outcome({"end": "timeout"}, frame("pass", None), b"", limits, False).passed
    assert not outcome(done, b"", b"", limits, False).passed
    assert not outcome(done, frame("pass", None)[:-2], b"", limits, False).passed


def test_verdict_frames_that_are_not_plain_verdicts_count_as_no_verdict() -> None:
    assert parse_verdict(b"garbage") == ("gone", None)
    assert parse_verdict(frame("maybe", None)) == ("gone", None)
    assert parse_verdict(frame("fail", "AssertionError")) == ("fail", "AssertionError")


def test_exit_details_name_the_signal_or_the_last_line_only_when_allowed() -> None:
    assert exit_detail(signal.SIGXCPU, b"", True) == "cpu time limit"
    assert exit_detail(signal.SIGSEGV, b"", True) == "killed by SIGSEGV"
    status = 3 << 8
    assert exit_detail(status, b"a\nsecret line\n", True) == "secret line"
    assert exit_detail(status, b"a\nsecret line\n", False) == "exit code 3"
    assert exit_detail(None, b"", True) == "the candidate closed its channel"


@pytest.mark.skipif(not cgroups.available(), reason="no cgroup controllers for this process")
def test_a_job_cgroup_has_its_limits_and_leaves_nothing_behind() -> None:
    job = cgroups.JobCgroup(cgroups.new_pool_name(), 0, 64 << 20, 5)
    paths = list(job.paths)
    try:
        for path, hierarchies in job.paths.items():
            for hierarchy in hierarchies:
                if hierarchy.controller == "pids":
                    assert (path / "pids.max").read_text().strip() == "5"
                elif hierarchy.version == 1:
                    assert int((path / "memory.limit_in_bytes").read_text()) == 64 << 20
                else:
                    assert int((path / "memory.max").read_text()) == 64 << 20
        fds = job.join_fds()
        child = os.fork()
        if child == 0:  # joins like a candidate: writes "0" through the host's descriptor
            for fd in fds:
                os.write(fd, b"0")
            os.kill(os.getpid(), signal.SIGSTOP)
            os._exit(0)
        for fd in fds:
            os.close(fd)
        os.waitpid(child, os.WUNTRACED)
        assert job.pids() == {child}
    finally:
        job.close()
    os.waitpid(child, 0)
    assert not any(path.exists() for path in paths)
