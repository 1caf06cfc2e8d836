"""The red-team suites again, with evalspec itself run by an unprivileged user.

As root (as CI runs) this test starts pytest on those files as a fresh uid of its own,
with the Python installation made readable for it the way the sandbox does it (the link
farm, interpreter.py): bwrap then maps the sandbox user to that uid, and rlimits runs
samples with that user's rights (the tests skip what that mode does not claim).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sandbox_cases import ROOT

from evalspec.scoring.sandbox.interpreter import python_executable, python_prefix, reachable_prefix

AS_USER_ENV = "EVALSPEC_SANDBOX_AS_USER"
REPO = Path(__file__).resolve().parents[2]
SUITES = ["test_redteam_verdicts.py", "test_redteam_host.py"]


@pytest.mark.skipif(not ROOT, reason="creating an unprivileged user needs root")
@pytest.mark.skipif(os.environ.get(AS_USER_ENV) is not None, reason="already the user run")
def test_the_red_team_suite_holds_when_evalspec_runs_as_an_unprivileged_user() -> None:
    uid = 0x30000000 + secrets.randbelow(1 << 20)
    farm = reachable_prefix()
    python = os.path.join(farm, os.path.relpath(python_executable(), python_prefix()))
    site = next(p for p in sys.path if p.endswith("site-packages") and p.startswith(str(REPO)))
    home = tempfile.mkdtemp(prefix="evalspec-as-user-")
    os.chown(home, uid, uid)
    os.chmod(home, 0o700)
    tests = [str(REPO / "tests" / "sandbox" / name) for name in SUITES]
    args = [*tests, "-q", "-rs", "-p", "no:cacheprovider", "--basetemp", f"{home}/pt"]
    program = (
        f"import sys; sys.path[:0] = [{str(REPO)!r}, {site!r}]; import pytest; "
        f"sys.exit(pytest.main({args!r}))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "LD_LIBRARY_PATH": os.path.join(farm, "lib"),  # libpython's RUNPATH is the original
        "PYTHONDONTWRITEBYTECODE": "1",
        AS_USER_ENV: "1",
    }
    try:
        done = subprocess.run(
            [python, "-I", "-c", program],
            cwd=REPO,
            env=env,
            user=uid,
            group=uid,
            extra_groups=[],
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    Path("/tmp/as_user_out.txt").write_text(done.stdout)
    print(done.stdout[-6000:])  # what ran and what was skipped, with the reasons (pytest -s)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 30, summary
