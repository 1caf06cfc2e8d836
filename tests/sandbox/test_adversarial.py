"""Hostile samples, resources and the verdict: every one fails and leaves the host as it was.

Each case runs in every mode (sandbox_cases.MODES); a case needing a guarantee a mode
does not claim skips with the reason. test_redteam_*.py has the red team's attacks.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest
from sandbox_cases import CLAIMS, FAST, MODES, ROOMY, USED_UIDS, job, level, require, score_add

from evalspec.scoring.sandbox import Outcome, Sandbox

pytestmark = [pytest.mark.usefixtures("no_leftovers"), pytest.mark.parametrize("mode", MODES)]


def timed(mode: str, code: str) -> tuple[Outcome, float]:
    """The outcome of one job in a started pool, and how long the job took."""
    with level(mode) as isolation, Sandbox(isolation, FAST, 1) as sandbox:
        USED_UIDS.update(sandbox.uids)
        start = time.monotonic()
        [outcome] = sandbox.run([job(code)])
        return outcome, time.monotonic() - start


def test_infinite_loop_times_out_near_the_wall_limit(mode: str) -> None:
    score, took = timed(mode, "def add(a, b):\n    while True:\n        pass\n")
    assert (score.passed, score.detail) == (False, "timeout")
    assert took < FAST.timeout_s + 2.0


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
    assert (score.passed, score.detail) == (False, "timeout")


def test_memory_bomb_hits_the_address_space_cap(mode: str) -> None:
    code = "def add(a, b):\n    hog = []\n    while True:\n        hog.append(bytearray(1 << 20))\n"
    score = score_add(code, mode, ROOMY)
    assert not score.passed
    assert (score.detail or "").startswith("MemoryError")


def test_huge_output_kills_the_candidate_at_the_output_cap(mode: str) -> None:
    code = "def add(a, b):\n    while True:\n        print('x' * 65536)\n"
    score = score_add(code, mode)
    assert (score.passed, score.detail) == (False, "output limit exceeded (64 KiB)")


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
    require(mode, "host user's files")
    score = score_add(code, mode)
    assert not score.passed
    assert canary.read_text() == "original"
    assert not planted.exists()


def test_reading_a_file_in_home_neither_works_nor_leaks(mode: str) -> None:
    """Where the host's files are not claimed out of reach (rlimits without the jail) the
    case still fails and the secret does not reach the verdict, whose detail is cut down
    to the exception type there."""
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
    assert not score.passed
    assert secret not in (score.detail or "")
    if mode in CLAIMS["host files"]:
        assert (score.detail or "").startswith("FileNotFoundError")
    elif mode == "rlimits-uid":
        assert score.detail == "PermissionError"


def test_exiting_with_status_zero_before_the_tests_fails(mode: str) -> None:
    score = score_add("import sys\nsys.exit(0)\ndef add(a, b):\n    return 0\n", mode)
    assert (score.passed, score.detail) == (False, "exited before the checker ran")


def test_os_exit_zero_inside_the_function_fails(mode: str) -> None:
    score = score_add("import os\ndef add(a, b):\n    os._exit(0)\n", mode)
    assert (score.passed, score.detail) == (False, "exited before the checker ran")


def test_object_whose_eq_is_always_true_fails(mode: str) -> None:
    code = (
        "class Anything:\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "def add(a, b):\n"
        "    return Anything()\n"
    )
    score = score_add(code, mode)
    assert not score.passed
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
    assert not score_add(code, mode).passed


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
    assert not score.passed
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
    assert not score.passed
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
    score, took = timed(mode, code)
    assert (score.passed, score.detail) == (False, "timeout")
    assert took < FAST.timeout_s + 2.0
