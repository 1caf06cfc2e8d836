"""The verdict comes from the checker process: the candidate never holds the tests."""

from __future__ import annotations

import pytest
from sandbox_cases import ADD, MODES, score_add

from evalspec.scoring.code_exec import score_code

pytestmark = [pytest.mark.usefixtures("no_leftovers"), pytest.mark.parametrize("mode", MODES)]

MARKED_TEST = "def check(candidate):\n    # marker-7f3a\n    assert candidate(2, 3) == 5\n"


def test_candidate_process_never_sees_the_test_source(mode: str) -> None:
    code = (
        "import gc\n"
        "def add(a, b):\n"
        "    seen = any(isinstance(o, str) and 'marker-7f3a' in o for o in gc.get_objects())\n"
        "    seen = seen or 'marker-7f3a' in open('/proc/self/cmdline', errors='replace').read()\n"
        "    return None if seen else a + b\n"
    )
    assert score_add(code, mode, test=MARKED_TEST).value == 1.0


def test_exceptions_the_test_expects_cross_the_channel(mode: str) -> None:
    test = (
        "def check(candidate):\n"
        "    try:\n"
        "        candidate(1, 'x')\n"
        "    except TypeError:\n"
        "        return\n"
        "    raise AssertionError('no TypeError')\n"
    )
    assert score_add("def add(a, b):\n    return a + b\n", mode, test=test).value == 1.0


def test_every_score_records_the_isolation_used(mode: str) -> None:
    scores = score_code(
        [ADD, ADD], ["    return a + b\n", "    return a - b\n"], 5.0, isolation=mode
    )  # type: ignore[arg-type]
    assert [s.value for s in scores] == [1.0, 0.0]
    assert {s.isolation for s in scores} == {mode}
