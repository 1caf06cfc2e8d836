"""Hostile samples: every one scores as a failure and leaves the host as it was.

Each case runs under bubblewrap (where it works) and under the rlimits fallback. Where
the fallback cannot contain a case without namespaces, the test says so and what it
still checks.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from pathlib import Path

import pytest
from sandbox_cases import DROPS_UID, FAST, MODES, NO_NETNS, NO_UID_DROP, ROOT, score_add

pytestmark = [pytest.mark.usefixtures("no_leftovers"), pytest.mark.parametrize("mode", MODES)]


def test_infinite_loop_times_out_near_the_wall_limit(mode: str) -> None:
    start = time.monotonic()
    score = score_add("def add(a, b):\n    while True:\n        pass\n", mode)
    assert (score.value, score.detail) == (0.0, "timeout")
    assert time.monotonic() - start < FAST.timeout_s + 2.0


def test_fork_bomb_is_capped_and_every_process_is_killed(mode: str) -> None:
    code = (
        "import os\n"
        "def add(a, b):\n"
        "    while True:\n"
        "        try:\n"
        "            os.fork()\n"
        "        except OSError:\n"
        "            pass\n"
    )
    score = score_add(code, mode)
    assert (score.value, score.detail) == (0.0, "timeout")


def test_memory_bomb_hits_the_address_space_cap(mode: str) -> None:
    code = "def add(a, b):\n    hog = []\n    while True:\n        hog.append(bytearray(1 << 20))\n"
    score = score_add(code, mode)
    assert score.value == 0.0
    assert (score.detail or "").startswith("MemoryError")


def test_huge_output_kills_the_candidate_at_the_output_cap(mode: str) -> None:
    code = "def add(a, b):\n    while True:\n        print('x' * 65536)\n"
    score = score_add(code, mode)
    assert (score.value, score.detail) == (0.0, "output limit exceeded (64 KiB)")


def test_writing_outside_the_work_dir_leaves_host_files_unchanged(
    mode: str, tmp_path: Path
) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text("original")
    planted = tmp_path / "planted.txt"
    code = (
        "def add(a, b):\n"
        f"    with open({str(canary)!r}, 'w') as f:\n"
        "        f.write('overwritten')\n"
        f"    open({str(planted)!r}, 'w').write('x')\n"
        "    return a + b\n"  # passes only if the writes went through
    )
    if mode == "rlimits" and not DROPS_UID:
        pytest.skip(NO_UID_DROP)
    score = score_add(code, mode)
    assert score.value == 0.0
    assert canary.read_text() == "original"
    assert not planted.exists()


def test_reading_a_file_in_home_neither_works_nor_leaks(mode: str) -> None:
    """Under rlimits without a uid of its own the read itself succeeds (not guaranteed):
    the case still scores FAIL and the secret does not reach the verdict, whose detail is
    reduced to the exception type in that mode."""
    secret = f"evalspec-secret-{secrets.token_hex(8)}"
    home_file = Path.home() / f".evalspec-canary-{secrets.token_hex(4)}"
    home_file.write_text(secret)
    home_file.chmod(0o600)
    try:
        code = (
            "def add(a, b):\n"
            f"    data = open({str(home_file)!r}).read()\n"
            "    raise ValueError(data)\n"  # exfiltrate through the verdict detail
        )
        score = score_add(code, mode)
    finally:
        home_file.unlink()
    assert score.value == 0.0
    assert secret not in (score.detail or "")
    if mode == "bwrap":
        assert (score.detail or "").startswith("FileNotFoundError")
    elif DROPS_UID:
        assert score.detail == "PermissionError"


def test_network_connection_is_refused(mode: str) -> None:
    if mode == "rlimits" and not ROOT:
        pytest.skip(NO_NETNS)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.2)
        port = server.getsockname()[1]
        code = (
            "import socket\n"
            "def add(a, b):\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'leak')\n"
            "    return a + b\n"
        )
        score = score_add(code, mode)
        with pytest.raises(TimeoutError):
            server.accept()
    assert score.value == 0.0
    assert (score.detail or "").startswith(("OSError", "ConnectionRefusedError"))


def test_killing_the_parent_and_everything_else_fails_and_the_pool_recovers(mode: str) -> None:
    if mode == "rlimits" and not DROPS_UID:
        pytest.skip(NO_UID_DROP + " (kill(-1) would reach the test runner)")
    code = (
        "import os, signal\n"
        "os.kill(os.getppid(), signal.SIGKILL)\n"
        "os.kill(-1, signal.SIGKILL)\n"
        "def add(a, b):\n"
        "    return a + b\n"
    )
    score = score_add(code, mode)
    assert score.value == 0.0
    assert os.getppid() > 1  # this test process and its parent are alive
    assert score_add("def add(a, b):\n    return a + b\n", mode).value == 1.0


def test_exiting_with_status_zero_before_the_tests_fails(mode: str) -> None:
    score = score_add("import sys\nsys.exit(0)\ndef add(a, b):\n    return 0\n", mode)
    assert (score.value, score.detail) == (0.0, "exited before the checker ran")


def test_os_exit_zero_inside_the_function_fails(mode: str) -> None:
    score = score_add("import os\ndef add(a, b):\n    os._exit(0)\n", mode)
    assert (score.value, score.detail) == (0.0, "exited before the checker ran")


def test_object_whose_eq_is_always_true_fails(mode: str) -> None:
    code = (
        "class Anything:\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "def add(a, b):\n"
        "    return Anything()\n"
    )
    score = score_add(code, mode)
    assert score.value == 0.0
    assert (score.detail or "").startswith("TypeError")


def test_int_subclass_with_a_lying_eq_fails(mode: str) -> None:
    code = (
        "class Liar(int):\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "    __hash__ = int.__hash__\n"
        "def add(a, b):\n"
        "    return Liar(0)\n"
    )
    assert score_add(code, mode).value == 0.0


def test_patched_unittest_and_assertion_machinery_do_not_reach_the_checker(mode: str) -> None:
    test = (
        "import unittest\n"
        "def check(candidate):\n"
        "    unittest.TestCase().assertEqual(candidate(2, 3), 5)\n"
        "    assert candidate(-1, 1) == 0\n"
    )
    code = (
        "import builtins, unittest\n"
        "unittest.TestCase.assertEqual = lambda *args, **kwargs: None\n"
        "builtins.AssertionError = type('Nothing', (Exception,), {})\n"
        "def add(a, b):\n"
        "    return 0\n"
    )
    score = score_add(code, mode, test=test)
    assert score.value == 0.0
    assert (score.detail or "").startswith("AssertionError")


def test_recursion_bomb_fails(mode: str) -> None:
    code = (
        "import sys\n"
        "sys.setrecursionlimit(10 ** 8)\n"
        "def deep(n):\n"
        "    return deep(n + 1) + 1\n"
        "def add(a, b):\n"
        "    return deep(0)\n"
    )
    score = score_add(code, mode)
    assert score.value == 0.0
    assert (score.detail or "") in {"killed by SIGSEGV", "timeout"} or "Error" in (
        score.detail or ""
    )


def test_handlers_that_ignore_sigterm_do_not_outlive_the_timeout(mode: str) -> None:
    code = (
        "import os, signal, time\n"
        "for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
        "    signal.signal(sig, signal.SIG_IGN)\n"
        "def add(a, b):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"  # leaves the candidate's process group
        "        while True:\n"
        "            time.sleep(1)\n"
        "    while True:\n"
        "        pass\n"
    )
    start = time.monotonic()
    score = score_add(code, mode)
    assert (score.value, score.detail) == (0.0, "timeout")
    assert time.monotonic() - start < FAST.timeout_s + 2.0


def test_forged_verdicts_on_every_descriptor_are_ignored(mode: str) -> None:
    """The candidate writes a fake 'pass' frame to every fd it has and, failing that, to
    the server's via /proc; none of them is the verdict pipe."""
    code = (
        "import json, os\n"
        "fake = json.dumps(['pass', None]).encode()\n"
        "frame = len(fake).to_bytes(4, 'big') + fake\n"
        "host = json.dumps({'passed': True, 'detail': None}).encode()\n"
        "for fd in range(64):\n"
        "    for data in (frame, len(host).to_bytes(4, 'big') + host):\n"
        "        try:\n"
        "            os.write(fd, data)\n"
        "        except OSError:\n"
        "            pass\n"
        "for fd in range(8):\n"
        "    try:\n"
        "        with open(f'/proc/{os.getppid()}/fd/{fd}', 'wb') as f:\n"
        "            f.write(frame)\n"
        "    except OSError:\n"
        "        pass\n"
        "def add(a, b):\n"
        "    return None\n"
    )
    assert score_add(code, mode).value == 0.0
